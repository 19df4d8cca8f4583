import net from 'node:net';

type Connection = { client: net.Socket; upstream: net.Socket; held: Buffer[] };

/**
 * A TCP proxy in front of a real Postgres or Redis, to take it away from the clients that use
 * `url` without touching the server other tests share:
 * - `cut()`: the server looks down (connections reset, new ones refused); `restore()` brings it back
 *   on the same port.
 * - `pause()`: the server hangs (SIGSTOP-like: connections stay open, nothing comes back); what
 *   clients send meanwhile is held, and `heldCount` shows it arriving; `resume()` delivers it.
 */
export async function startTcpProxy(target: string) {
  const targetUrl = new URL(target);
  const targetPort = Number(targetUrl.port || (targetUrl.protocol === 'redis:' ? 6379 : 5432));
  const connections = new Set<Connection>();
  let server: net.Server | undefined;
  let port = 0;
  let paused = false;

  const accept = (client: net.Socket) => {
    const upstream = net.connect(targetPort, targetUrl.hostname);
    const c: Connection = { client, upstream, held: [] };
    connections.add(c);
    client.on('data', (d: Buffer) => (paused ? c.held.push(d) : upstream.write(d)));
    upstream.pipe(client);
    if (paused) upstream.pause();
    const drop = () => {
      connections.delete(c);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(accept);
      server = s;
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        resolve();
      });
    });

  await listen();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    /** The target's URL, through the proxy. */
    url: url.toString(),
    port,
    async cut(): Promise<void> {
      const s = server;
      server = undefined;
      // close() waits for open connections, so reset them first.
      const closed = new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
      for (const { client, upstream } of connections) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      connections.clear();
      await closed;
    },
    async restore(): Promise<void> {
      if (!server) await listen();
      this.resume();
    },
    pause(): void {
      paused = true;
      for (const c of connections) c.upstream.pause();
    },
    resume(): void {
      paused = false;
      for (const c of connections) {
        for (const d of c.held.splice(0)) c.upstream.write(d);
        c.upstream.resume();
      }
    },
    /** How many chunks sent while paused contain `text` (case-insensitive), over every connection. */
    heldCount(text: string): number {
      const needle = text.toLowerCase();
      let n = 0;
      for (const c of connections) for (const d of c.held) if (d.toString('latin1').toLowerCase().includes(needle)) n++;
      return n;
    },
    async close(): Promise<void> {
      await this.cut();
    },
  };
}

export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;
