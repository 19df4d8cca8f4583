import net from 'node:net';

/**
 * A TCP proxy in front of a real Postgres or Redis, which a test can cut (existing connections
 * reset, new ones refused: the server looks down) and restore, without touching the server
 * other tests share.
 */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1') {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  // A hung backend (SIGSTOP-like): connections stay open, nothing moves in either direction.
  let paused = false;

  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(targetPort, targetHost);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
        if (paused) for (const s of [client, upstream]) s.pause();
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.listen(port, '127.0.0.1', () => {
        const addr = server!.address() as net.AddressInfo;
        port = addr.port;
        resolve();
      });
    });

  await listen();
  return {
    get port() {
      return port;
    },
    /** The backend "goes down": every connection is reset and new ones are refused. */
    async cut(): Promise<void> {
      const s = server;
      server = undefined;
      // close() waits for open connections, so reset them first.
      const closed = new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
      for (const sock of sockets) sock.resetAndDestroy();
      sockets.clear();
      await closed;
    },
    /** The backend hangs: connections stay open but nothing is forwarded until `resume`. */
    pause(): void {
      paused = true;
      for (const sock of sockets) sock.pause();
    },
    resume(): void {
      paused = false;
      for (const sock of sockets) sock.resume();
    },
    /** The backend "comes back" on the same port. */
    async restore(): Promise<void> {
      if (!server) await listen();
    },
    async close(): Promise<void> {
      await this.cut();
    },
  };
}
