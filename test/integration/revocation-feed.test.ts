import net from 'node:net';
import request from 'supertest';
import { createTestInstance, listen, waitFor, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';
import { openSse } from '../support/sse.js';

const ENTRIES = 20_000;

// A deployment whose list is long (one customer can revoke ~300 keys a minute from one address).
describe('a long revocation list, served to anyone', () => {
  let inst: TestInstance;
  let srv: Awaited<ReturnType<typeof listen>>;
  const serverSockets = new Set<net.Socket>();
  beforeAll(async () => {
    const databaseUrl = await isolatedDatabase('long_list');
    inst = await createTestInstance({ databaseUrl, env: { SSE_MAX_STREAMS_PER_CLIENT: '3', SSE_MAX_STREAM_SECONDS: '2' } });
    await inst.deps.db.raw(
      `INSERT INTO revocations (kind, org_id, key_id, jti, revoked_at, expires_at)
       SELECT 'token', 'org_x', 'key_x', 'jti-' || i, now(), now() + interval '1 hour' FROM generate_series(1, ?) AS i`,
      [ENTRIES],
    );
    await inst.deps.sync.maintain();
    srv = await listen(inst.app);
    srv.server.on('connection', (s: net.Socket) => {
      serverSockets.add(s);
      s.on('close', () => serverSockets.delete(s));
    });
  });
  afterAll(async () => {
    await srv.close();
    await inst.close();
  });

  it('serves the feed in pages that walk every entry once', async () => {
    const first = await request(inst.app).get('/v1/revocations?limit=2').expect(200);
    expect(first.body.revocations).toHaveLength(2);
    expect(first.body.has_more).toBe(true);
    expect(first.body.last_seq).toBe(first.body.revocations[1].seq);
    const seen = new Set<number>();
    let after = 0;
    for (let pages = 0; ; pages++) {
      const res = await request(inst.app).get(`/v1/revocations?after=${after}&limit=5000`).expect(200);
      for (const e of res.body.revocations as Array<{ seq: number }>) {
        expect(seen.has(e.seq)).toBe(false);
        seen.add(e.seq);
      }
      after = res.body.last_seq;
      if (!res.body.has_more) break;
      expect(pages).toBeLessThan(10);
    }
    expect(seen.size).toBe(ENTRIES);
    await request(inst.app).get('/v1/revocations?limit=10001').expect(400);
  });

  it('holds about a page per stream for clients that never read, however long the backlog', async () => {
    const { port } = new URL(srv.url);
    const idle: net.Socket[] = [];
    try {
      // From three addresses of the loopback range (the per-address cap is 3).
      for (let i = 0; i < 9; i++) {
        const socket = net.connect({ port: Number(port), host: '127.0.0.1', localAddress: `127.0.0.${2 + (i % 3)}` });
        socket.pause(); // never reads
        socket.write('GET /v1/revocations/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
        idle.push(socket);
      }
      await waitFor(() => serverSockets.size >= 9, 5_000, 'the streams to open');
      // Give the server every chance to write what it wants to (the backlog is megabytes).
      const buffered = () => [...serverSockets].reduce((n, s) => n + s.writableLength, 0);
      let before = -1;
      await waitFor(
        () => {
          const now = buffered();
          const settled = now === before;
          before = now;
          return settled;
        },
        5_000,
        'buffers to settle',
      );
      expect(buffered()).toBeLessThan(9 * 256 * 1024);
    } finally {
      for (const s of idle) s.destroy();
    }
  });

  it('caps streams per client address and ends each after SSE_MAX_STREAM_SECONDS', async () => {
    const streams = await Promise.all([1, 2, 3].map(() => openSse(`${srv.url}/v1/revocations/stream?last_event_id=999999999`)));
    try {
      const refused = await request(srv.url).get('/v1/revocations/stream').expect(429);
      expect(refused.body.error).toBe('rate_limited');
      expect(refused.headers['retry-after']).toBeDefined();
      // Ended by the server, each client reconnects with Last-Event-ID.
      await Promise.all(streams.map((s) => s.ended));
      const again = await openSse(`${srv.url}/v1/revocations/stream?last_event_id=999999999`);
      expect(again.status).toBe(200);
      again.close();
    } finally {
      for (const s of streams) s.close();
    }
  });
});
