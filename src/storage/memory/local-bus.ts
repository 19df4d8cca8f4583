import { rm } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import type { BusMessage } from '../../domain/seams.js';
import type { Logger } from '../../log.js';

/**
 * The embedded server's bus socket in DATA_DIR: a CLI verb run beside the server (revoke, rotate,
 * signing keys) tells it what changed, so its caches drop the change at once. One JSON message per
 * line; the server answers `ok` once it has applied it.
 */
export async function listenLocalBus(
  path: string,
  onMessage: (m: BusMessage) => void | Promise<void>,
  log: Logger,
): Promise<() => Promise<void>> {
  // We hold DATA_DIR's lock: a socket file left here is a dead process's.
  await rm(path, { force: true });
  const server: Server = createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      // A client sends one short message; anything longer is not ours.
      if (buffered.length > 65_536) socket.destroy();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        void apply(line).then((ok) => socket.write(ok ? 'ok\n' : 'error\n'));
      }
    });
  });
  const apply = async (line: string): Promise<boolean> => {
    try {
      await onMessage(JSON.parse(line) as BusMessage);
      return true;
    } catch (err) {
      log.warn({ err }, 'event-bus.handler_failed');
      return false;
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Sends one message to the server's bus socket; true once the server has applied it, false on any failure or after `timeoutMs`. */
export function sendLocalBus(path: string, message: BusMessage, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify(message)}\n`));
    socket.once('data', (answer: string) => done(answer.startsWith('ok')));
    socket.once('error', () => done(false));
  });
}
