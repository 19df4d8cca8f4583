import net from 'node:net';
import request from 'supertest';
import { REVOCATION_SKEW_SECONDS, STALE_MINT_SECONDS } from '../../src/domain/revocation/propagation.js';
import { createDb } from '../../src/storage/db.js';
import { createTestInstance, listen, twoInstances, waitFor, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';
import { auth, createAdmin, createKey, exchange } from '../support/fixtures.js';
import { openSse } from '../support/sse.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

// GET /v1/revocations and /v1/revocations/stream, showing what another instance revoked.
describe('the feed and the stream of revocations', () => {
  const pair = twoInstances();
  const { prefix } = pair;
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(() => ({ a, b } = pair));

  it('lists, streams and introspects as inactive a token issued before the revocation', async () => {
    const { org, token: adminToken } = await createAdmin(a.deps, a.app);
    const { key, secret } = await createKey(a.deps, org);
    const token = await exchange(b.app, { org_id: key.orgId, key_id: key.id, secret });
    const srv = await listen(b.app);
    const stream = await openSse(`${srv.url}/v1/revocations/stream`, { 'Last-Event-ID': String(b.deps.revocations.maxSeq()) });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const before = await request(b.app)
        .post('/oauth/introspect')
        .set('Authorization', basic(key.id, secret))
        .type('form')
        .send({ token })
        .expect(200);
      expect(before.body).toMatchObject({ active: true, sub: key.id, org_id: org.id, token_type: 'Bearer' });

      await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(adminToken)).expect(200);

      const feed = await request(b.app).get('/v1/revocations').expect(200);
      const entry = feed.body.revocations.find((e: { key_id: string }) => e.key_id === key.id);
      expect(entry).toEqual({
        seq: expect.any(Number),
        type: 'key',
        key_id: key.id,
        revoked_at: expect.any(Number),
        expires_at: expect.any(Number),
      });
      expect(entry.revoked_at).toBeGreaterThanOrEqual(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).iat);
      // Every token the key may still hold (the longest lifetime in circulation), plus stale-mint and skew margins.
      expect(entry.expires_at - entry.revoked_at).toBe(STALE_MINT_SECONDS + a.deps.lifetimes.longestSeconds() + REVOCATION_SKEW_SECONDS);
      expect(a.deps.lifetimes.longestSeconds()).toBeGreaterThanOrEqual(900);
      expect(feed.body.last_seq).toBeGreaterThanOrEqual(entry.seq);

      await stream.until(() => stream.events.some((e) => JSON.parse(e.data).key_id === key.id));
      const ev = stream.events.find((e) => JSON.parse(e.data).key_id === key.id)!;
      expect(ev).toEqual({ id: String(entry.seq), event: 'revocation', data: JSON.stringify(entry) });

      // Introspection needs an active key: use the admin's token as the caller.
      await request(b.app).post('/oauth/introspect').set(auth(adminToken)).type('form').send({ token }).expect(200, { active: false });
    } finally {
      stream.close();
      await srv.close();
    }
  });

  it('resumes the stream after Last-Event-ID and sends heartbeats', async () => {
    const hb = await createTestInstance({ prefix, env: { SSE_HEARTBEAT_SECONDS: '1' } });
    const srv = await listen(hb.app);
    try {
      const { org, token } = await createAdmin(a.deps, a.app);
      const k1 = await createKey(a.deps, org);
      const k2 = await createKey(a.deps, org);
      const r1 = await request(a.app).post(`/v1/keys/${k1.key.id}/revoke`).set(auth(token)).expect(200);
      await request(a.app).post(`/v1/keys/${k2.key.id}/revoke`).set(auth(token)).expect(200);
      expect(r1.body.status).toBe('revoked');
      const seq1 = (await request(hb.app).get('/v1/revocations')).body.revocations.find(
        (e: { key_id: string }) => e.key_id === k1.key.id,
      ).seq;

      const resumed = await openSse(`${srv.url}/v1/revocations/stream`, { 'Last-Event-ID': String(seq1) });
      await resumed.until(() => resumed.events.some((e) => JSON.parse(e.data).key_id === k2.key.id));
      expect(resumed.events.some((e) => JSON.parse(e.data).key_id === k1.key.id)).toBe(false);
      await resumed.until(() => resumed.comments.includes('ping'));
      resumed.close();

      const bad = await request(hb.app).get('/v1/revocations/stream').set('Last-Event-ID', 'abc');
      expect(bad.status).toBe(400);
    } finally {
      await srv.close();
      await hb.close();
    }
  });
});

const ENTRIES = 20_000;

// A deployment whose list is long (one customer can revoke ~300 keys a minute from one address).
describe('a long revocation list, served to anyone', () => {
  let inst: TestInstance;
  let srv: Awaited<ReturnType<typeof listen>>;
  const serverSockets = new Set<net.Socket>();
  beforeAll(async () => {
    const databaseUrl = await isolatedDatabase('long_list');
    // Written before the instance starts, which loads them as any instance does (one bulk load,
    // where a repair after the fact would publish every entry one by one).
    const db = createDb(databaseUrl, 1);
    try {
      await db.raw(
        `INSERT INTO revocations (kind, org_id, key_id, jti, revoked_at, expires_at)
         SELECT 'token', 'org_x', 'key_x', 'jti-' || i, now(), now() + interval '1 hour' FROM generate_series(1, ?) AS i`,
        [ENTRIES],
      );
    } finally {
      await db.destroy();
    }
    // Loading and re-announcing 20,000 entries at start-up takes seconds when every core is busy.
    inst = await createTestInstance({ databaseUrl, env: { SSE_MAX_STREAMS_PER_CLIENT: '3' }, liveWithinMs: 30_000 });
    expect(inst.deps.revocations.maxSeq()).toBe(ENTRIES);
    srv = await listen(inst.app);
    srv.server.on('connection', (s: net.Socket) => {
      serverSockets.add(s);
      s.on('close', () => serverSockets.delete(s));
    });
  }, 60_000);
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
});

describe('stream limits', () => {
  const started: Array<{ inst: TestInstance; srv: Awaited<ReturnType<typeof listen>> }> = [];
  const serve = async (env: Record<string, string>) => {
    const inst = await createTestInstance({ env });
    const srv = await listen(inst.app);
    started.push({ inst, srv });
    return srv;
  };
  const openStreams = (url: string) => Promise.all([1, 2, 3].map(() => openSse(`${url}/v1/revocations/stream?last_event_id=999999999`)));
  afterAll(async () => {
    for (const { inst, srv } of started) {
      await srv.close();
      await inst.close();
    }
  });

  // Apart from the lifetime: with streams ending after a second, a slow run could free a place
  // before the refusal is asked for.
  it('caps streams per client address', async () => {
    const capped = await serve({ SSE_MAX_STREAMS_PER_CLIENT: '3' });
    const streams = await openStreams(capped.url);
    try {
      const refused = await request(capped.url).get('/v1/revocations/stream').expect(429);
      expect(refused.body.error).toBe('rate_limited');
      expect(refused.headers['retry-after']).toBeDefined();
    } finally {
      for (const s of streams) s.close();
    }
  });

  it('ends each after SSE_MAX_STREAM_SECONDS, which gives its place back', async () => {
    const short = await serve({ SSE_MAX_STREAMS_PER_CLIENT: '3', SSE_MAX_STREAM_SECONDS: '1' });
    const streams = await openStreams(short.url);
    try {
      // Ended by the server, each client reconnects with Last-Event-ID.
      await Promise.all(streams.map((s) => s.ended));
      const again = await openSse(`${short.url}/v1/revocations/stream?last_event_id=999999999`);
      expect(again.status).toBe(200);
      again.close();
    } finally {
      for (const s of streams) s.close();
    }
  });
});
