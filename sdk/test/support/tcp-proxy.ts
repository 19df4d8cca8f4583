import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

type Connection = { client: Socket; upstream: Socket; held: Buffer[] };

/**
 * A TCP proxy in front of a real service, to take it away from one client without touching it:
 * `pause()` stops forwarding (a hung server: sockets stay open, nothing moves; what clients send is
 * held, and `heldCount` shows it arriving), `cut()` drops every connection and refuses new ones,
 * `restore()` undoes either, delivering what was held.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const connections = new Set<Connection>();
  let refusing = false;
  let paused = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
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
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dropAll = () => {
    for (const { client, upstream } of connections) {
      client.destroy();
      upstream.destroy();
    }
    connections.clear();
  };
  return {
    port,
    pause(): void {
      paused = true;
      for (const c of connections) c.upstream.pause();
    },
    /** How many chunks sent while paused contain `text` (case-insensitive), on every connection. */
    heldCount(text: string): number {
      const needle = text.toLowerCase();
      let n = 0;
      for (const c of connections) for (const d of c.held) if (d.toString('latin1').toLowerCase().includes(needle)) n++;
      return n;
    },
    cut(): void {
      refusing = true;
      dropAll();
    },
    restore(): void {
      refusing = false;
      paused = false;
      for (const c of connections) {
        for (const d of c.held.splice(0)) c.upstream.write(d);
        c.upstream.resume();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
