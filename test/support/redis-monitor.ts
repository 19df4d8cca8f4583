import net from 'node:net';

/**
 * MONITOR on a plain socket, calling `onCommand` with each command's arguments and its source
 * ("lua" for what a script runs inside Redis, else the client's address). ioredis's monitor mode
 * can take a monitored line for a reply when one arrives with MONITOR's own +OK, as it does on a
 * busy shared server ("Command queue state error"); here the lines are only split and read.
 * Resolves, once MONITOR has answered, to a function that stops it.
 */
export async function monitorRedis(url: string, onCommand: (args: string[], source: string) => void): Promise<() => void> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port || 6379), hostname);
  socket.setEncoding('utf8');
  let buffer = '';
  const started = new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\r\n'); nl >= 0; nl = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        // +OK, then one line a command: +<time> [<db> <source>] "command" "arg" …
        if (line === '+OK') {
          resolve();
          continue;
        }
        const source = /^\+\S+ \[\d+ ([^\]]*)\]/.exec(line)?.[1] ?? '';
        onCommand(
          [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!),
          source,
        );
      }
    });
  });
  socket.write('MONITOR\r\n');
  await started;
  return () => socket.destroy();
}
