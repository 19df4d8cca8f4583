import { Redis } from 'ioredis';
import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { createLastUsedTracker, lastUsedMinAdvanceMs } from '../../src/domain/last-used.js';
import { exchangeKey } from '../../src/domain/token-exchange.js';
import { REVOCATION_SKEW_SECONDS, STALE_MINT_SECONDS } from '../../src/domain/revocation/propagation.js';
import { createTestInstance, listen, newPrefix, waitFor, type TestInstance } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { createAdmin, createKey, createOrg, exchange } from '../support/fixtures.js';
import { openSse } from '../support/sse.js';

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('revocation across instances', () => {
  const prefix = newPrefix();
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(async () => {
    a = await createTestInstance({ prefix });
    b = await createTestInstance({ prefix });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('refuses a key revoked on instance A at the very next exchange on instance B', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const delaysMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { key, secret } = await createKey(a.deps, org);
      // B has the key cached from a successful exchange.
      await request(b.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
      await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
      const returned = performance.now();
      await request(b.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
      delaysMs.push(performance.now() - returned);
    }
    expect(delaysMs).toHaveLength(20);
  });

  it('writes the Redis list before announcing the revocation to verifiers and instances', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const { key } = await createKey(a.deps, org);
    const keys = a.deps.redisKeys;
    const client = new Redis(TEST_REDIS_URL);
    const monitor = await client.monitor();
    const calls: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      const [command, target] = args;
      if (target === keys.revocationEntries || target === keys.revocationExpiry || target === keys.revocationChannel || target === keys.instanceChannel) {
        calls.push(`${command!.toLowerCase()} ${target}`);
      }
    });
    try {
      await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
      await waitFor(() => calls.length >= 4, 2_000, 'the revocation seen by MONITOR');
    } finally {
      monitor.disconnect();
      client.disconnect();
    }
    // Sent together, run in order: a verifier that reloads on the announcement finds the entry.
    // (First occurrences: B's periodic reconcile may rewrite an entry it found missing.)
    const expected = [`hset ${keys.revocationEntries}`, `zadd ${keys.revocationExpiry}`, `publish ${keys.revocationChannel}`, `publish ${keys.instanceChannel}`];
    expect([...new Set(calls)]).toEqual(expected);
  });

  it('lists, streams and introspects as inactive a token issued before the revocation', async () => {
    const { org, token: adminToken } = await createAdmin(a.deps, a.app);
    const { key, secret } = await createKey(a.deps, org);
    const token = await exchange(b.app, { org_id: key.orgId, key_id: key.id, secret });
    const srv = await listen(b.app);
    const stream = await openSse(`${srv.url}/v1/revocations/stream`, { 'Last-Event-ID': String(b.deps.revocations.maxSeq()) });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const before = await request(b.app).post('/oauth/introspect').set('Authorization', basic(key.id, secret)).type('form').send({ token }).expect(200);
      expect(before.body).toMatchObject({ active: true, sub: key.id, org_id: org.id, token_type: 'Bearer' });

      await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(adminToken)).expect(200);

      const feed = await request(b.app).get('/v1/revocations').expect(200);
      const entry = feed.body.revocations.find((e: { key_id: string }) => e.key_id === key.id);
      expect(entry).toEqual({ seq: expect.any(Number), type: 'key', key_id: key.id, revoked_at: expect.any(Number), expires_at: expect.any(Number) });
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
      const seq1 = (await request(hb.app).get('/v1/revocations')).body.revocations.find((e: { key_id: string }) => e.key_id === k1.key.id).seq;

      const resumed = await openSse(`${srv.url}/v1/revocations/stream`, { 'Last-Event-ID': String(seq1) });
      await resumed.until(() => resumed.events.some((e) => JSON.parse(e.data).key_id === k2.key.id));
      expect(resumed.events.some((e) => JSON.parse(e.data).key_id === k1.key.id)).toBe(false);
      await resumed.until(() => resumed.comments.includes('ping'), 3_000);
      resumed.close();

      const bad = await request(hb.app).get('/v1/revocations/stream').set('Last-Event-ID', 'abc');
      expect(bad.status).toBe(400);
    } finally {
      await srv.close();
      await hb.close();
    }
  });

  it('keeps the Redis list in step with Postgres', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const { key } = await createKey(a.deps, org);
    await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
    const raw = await a.deps.redis.hget(a.deps.redisKeys.revocationEntries, `key:${key.id}`);
    expect(JSON.parse(raw!)).toMatchObject({ type: 'key', key_id: key.id });
    const row = await a.deps.db('revocations').where({ key_id: key.id, kind: 'key' }).first();
    expect(JSON.parse(raw!).seq).toBe(row.seq);
  });
});

describe('revocation list after Redis loses its data', () => {
  // A Redis database of its own: FLUSHDB must not disturb other test files.
  const redisUrl = TEST_REDIS_URL.replace(/\/\d+$/, '/11');
  const prefix = newPrefix();
  let a: TestInstance;
  let b: TestInstance;
  let raw: Redis;
  beforeAll(async () => {
    a = await createTestInstance({ prefix, env: { REDIS_URL: redisUrl } });
    b = await createTestInstance({ prefix, env: { REDIS_URL: redisUrl } });
    raw = new Redis(redisUrl);
  });
  afterAll(async () => {
    raw.disconnect();
    await a.close();
    await b.close();
  });

  it('still refuses the revoked key after FLUSHDB, and the list comes back from Postgres', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const { key, secret } = await createKey(a.deps, org);
    const issued = await exchange(b.app, { org_id: key.orgId, key_id: key.id, secret });
    await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);

    await raw.flushdb();
    expect(await raw.hlen(a.deps.redisKeys.revocationEntries)).toBe(0);

    await request(b.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
    await request(a.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
    await request(b.app).post('/oauth/introspect').set(auth(token)).type('form').send({ token: issued }).expect(200, { active: false });

    // Asking for the list rebuilds it in Redis before answering.
    const feed = await request(b.app).get('/v1/revocations').expect(200);
    expect(feed.body.revocations.map((e: { key_id: string }) => e.key_id)).toContain(key.id);
    expect(await raw.hexists(a.deps.redisKeys.revocationEntries, 'ready')).toBe(1);
    expect(await raw.hget(a.deps.redisKeys.revocationEntries, `key:${key.id}`)).not.toBeNull();

    // A fresh instance starting on the flushed-then-rebuilt Redis knows it too.
    await raw.flushdb();
    const c = await createTestInstance({ prefix, env: { REDIS_URL: redisUrl } });
    try {
      expect(c.deps.revocations.isKeyRevoked(key.id)).toBe(true);
      await request(c.app).post('/oauth/introspect').set(auth(token)).type('form').send({ token: issued }).expect(200, { active: false });
    } finally {
      await c.close();
    }
  });

  it('rebuilds on its own (maintenance) without anyone asking', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const { key } = await createKey(a.deps, org);
    await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
    await raw.flushdb();
    await a.deps.sync.maintain();
    expect(await raw.hget(a.deps.redisKeys.revocationEntries, `key:${key.id}`)).not.toBeNull();
  });
});

describe('rotation with a grace period', () => {
  it('keeps the old key working until the period ends, then refuses it', async () => {
    const clock = fakeClock();
    const inst = await createTestInstance({ clock });
    try {
      const { org, token } = await createAdmin(inst.deps, inst.app);
      const { key, secret } = await createKey(inst.deps, org, { scopes: ['orders:read'], audiences: ['https://orders.example'] });
      const res = await request(inst.app).post(`/v1/keys/${key.id}/rotate`).set(auth(token)).send({ grace_period_seconds: 3600 }).expect(201);
      expect(res.body).toMatchObject({ scopes: ['orders:read'], audiences: ['https://orders.example'], status: 'active', secret: expect.stringMatching(/^sk_live_/) });
      expect(res.body.previous_key).toMatchObject({ id: key.id, status: 'active', replaced_by: res.body.id, revoked_at: null });

      // Rotating the old key again is refused: the replacement is what rotates next.
      await request(inst.app).post(`/v1/keys/${key.id}/rotate`).set(auth(token)).expect(409);

      clock.advance(3599_000);
      await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
      clock.advance(2_000);
      await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
      await request(inst.app).post('/v1/token').send({ org_id: res.body.org_id, key_id: res.body.id, secret: res.body.secret }).expect(200);

      const stored = await inst.deps.db('api_keys').where({ id: key.id }).first();
      expect(stored).toMatchObject({ replaced_by: res.body.id, revoked_at: null });
    } finally {
      await inst.close();
    }
  });

  it('expires the old key at once without a grace period; its tokens live out their lifetime', async () => {
    const inst = await createTestInstance();
    try {
      const { org, token } = await createAdmin(inst.deps, inst.app);
      const { key, secret } = await createKey(inst.deps, org);
      const issued = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
      const res = await request(inst.app).post(`/v1/keys/${key.id}/rotate`).set(auth(token)).expect(201);
      expect(res.body.previous_key).toMatchObject({ status: 'expired', revoked_at: null, replaced_by: res.body.id });
      expect(Date.parse(res.body.previous_key.expires_at)).toBeLessThanOrEqual(Date.now());
      await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
      await request(inst.app).post('/v1/token').send({ org_id: res.body.org_id, key_id: res.body.id, secret: res.body.secret }).expect(200);
      // Expiry, not revocation: no revocation entry, and the token issued before still introspects active.
      const list = await request(inst.app).get('/v1/revocations').expect(200);
      expect(JSON.stringify(list.body)).not.toContain(key.id);
      const introspected = await request(inst.app).post('/oauth/introspect').set(auth(token)).type('form').send({ token: issued }).expect(200);
      expect(introspected.body).toMatchObject({ active: true, client_id: key.id });
      await request(inst.app).post(`/v1/keys/${key.id}/rotate`).set(auth(token)).expect(409);
    } finally {
      await inst.close();
    }
  });
});

describe('POST /oauth/introspect', () => {
  let inst: TestInstance;
  beforeAll(async () => {
    inst = await createTestInstance();
  });
  afterAll(async () => inst.close());

  it('reports an active token of the caller org with its claims', async () => {
    const org = await createOrg(inst.deps);
    const caller = await createKey(inst.deps, org);
    const subject = await createKey(inst.deps, org, { scopes: ['a', 'b'] });
    const token = await exchange(inst.app, { org_id: subject.key.orgId, key_id: subject.key.id, secret: subject.secret, scope: 'a' });
    const res = await request(inst.app).post('/oauth/introspect').type('form').send({ token, client_id: caller.key.id, client_secret: caller.secret }).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      active: true,
      scope: 'a',
      client_id: subject.key.id,
      sub: subject.key.id,
      aud: 'https://auth.scope-auth.test',
      iss: 'https://auth.scope-auth.test',
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.any(String),
      token_type: 'Bearer',
      org_id: org.id,
      env: 'live',
    });
  });

  it("reports another org's token, garbage and an expired token as inactive", async () => {
    const mine = await createOrg(inst.deps);
    const theirs = await createOrg(inst.deps);
    const caller = await createKey(inst.deps, mine);
    const other = await createKey(inst.deps, theirs);
    const foreign = await exchange(inst.app, { org_id: other.key.orgId, key_id: other.key.id, secret: other.secret });
    for (const token of [foreign, 'not-a-jwt', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) {
      await request(inst.app).post('/oauth/introspect').set('Authorization', basic(caller.key.id, caller.secret)).type('form').send({ token }).expect(200, { active: false });
    }
  });

  it('requires client authentication', async () => {
    await request(inst.app).post('/oauth/introspect').type('form').send({ token: 'x' }).expect(401, { error: 'invalid_client', error_description: 'client authentication failed' });
    await request(inst.app).post('/oauth/introspect').set('Authorization', 'Bearer nonsense').type('form').send({ token: 'x' }).expect(401);
    await request(inst.app).post('/oauth/introspect').type('form').send({}).expect(400);
  });
});

describe('POST /oauth/revoke (RFC 7009)', () => {
  let inst: TestInstance;
  beforeAll(async () => {
    inst = await createTestInstance();
  });
  afterAll(async () => inst.close());

  it('revokes a single token by jti for the key it was issued to, leaving the key working', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    const token = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    const sibling = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    await request(inst.app).post('/oauth/revoke').set('Authorization', basic(key.id, secret)).type('form').send({ token, token_type_hint: 'access_token' }).expect(200, '');

    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti;
    const feed = await request(inst.app).get('/v1/revocations').expect(200);
    expect(feed.body.revocations).toContainEqual(expect.objectContaining({ type: 'token', jti, key_id: key.id }));
    await request(inst.app).post('/oauth/introspect').set('Authorization', basic(key.id, secret)).type('form').send({ token }).expect(200, { active: false });
    const still = await request(inst.app).post('/oauth/introspect').set('Authorization', basic(key.id, secret)).type('form').send({ token: sibling }).expect(200);
    expect(still.body.active).toBe(true);
    // Repeating it, or revoking garbage, is still 200.
    await request(inst.app).post('/oauth/revoke').set('Authorization', basic(key.id, secret)).type('form').send({ token }).expect(200);
    await request(inst.app).post('/oauth/revoke').set('Authorization', basic(key.id, secret)).type('form').send({ token: 'garbage' }).expect(200);
  });

  it("lets an org admin revoke any of its org's tokens, but no one else's", async () => {
    const { org, token: adminToken } = await createAdmin(inst.deps, inst.app);
    const { key, secret } = await createKey(inst.deps, org);
    const token = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    const stranger = await createKey(inst.deps, await createOrg(inst.deps));
    // RFC 7009 §2.2: another org's token is answered like garbage (200), and left alone.
    await request(inst.app).post('/oauth/revoke').set('Authorization', basic(stranger.key.id, stranger.secret)).type('form').send({ token }).expect(200, '');
    expect((await request(inst.app).post('/oauth/introspect').set(auth(adminToken)).type('form').send({ token }).expect(200)).body.active).toBe(true);
    await request(inst.app).post('/oauth/revoke').set(auth(adminToken)).type('form').send({ token }).expect(200);
    await request(inst.app).post('/oauth/introspect').set(auth(adminToken)).type('form').send({ token }).expect(200, { active: false });
  });

  it('refuses a bearer caller without keys:write', async () => {
    const org = await createOrg(inst.deps);
    const reader = await createKey(inst.deps, org, { scopes: ['keys:read'] });
    const readerToken = await exchange(inst.app, { org_id: reader.key.orgId, key_id: reader.key.id, secret: reader.secret });
    const res = await request(inst.app).post('/oauth/revoke').set(auth(readerToken)).type('form').send({ token: readerToken });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('insufficient_scope');
  });
});

describe('last_used_at', () => {
  it('costs one batched database write for 10,000 exchanges, and lands within the flush interval', async () => {
    const inst = await createTestInstance();
    try {
      const org = await createOrg(inst.deps);
      const keys = await Promise.all(Array.from({ length: 5 }, () => createKey(inst.deps, org)));
      let updates = 0;
      inst.deps.db.on('query', (q: { sql: string }) => {
        if (/update\s+"?api_keys"?/i.test(q.sql) || /UPDATE api_keys/i.test(q.sql)) updates++;
      });
      const context = { ip: '127.0.0.1', userAgent: null, requestId: null };
      // A tracker of its own, with no timer: the instance's timed flush comes at a random point of
      // its interval and could land inside this loop (it did, in CI).
      const lastUsed = createLastUsedTracker(inst.deps.db, lastUsedMinAdvanceMs(inst.config.lastUsedFlushSeconds));
      const deps = { ...inst.deps, lastUsed };
      for (let i = 0; i < 10_000; i++) {
        const k = keys[i % keys.length]!;
        await exchangeKey(deps, { keyId: k.key.id, secret: k.secret, context });
      }
      expect(updates).toBe(0);
      expect(inst.deps.lastUsed.pending()).toBe(0);
      const flushed = await lastUsed.flush();
      expect(flushed).toEqual({ keys: 5, writes: 1, rows: 5 });
      expect(updates).toBe(1);
      const rows = await inst.deps.db('api_keys').whereIn('id', keys.map((k) => k.key.id));
      for (const r of rows) expect(Date.now() - r.last_used_at.getTime()).toBeLessThan(60_000);
      expect(inst.config.lastUsedFlushSeconds).toBeLessThanOrEqual(60);
    } finally {
      await inst.close();
    }
  });

  it('is written by the timer within the flush interval, with nobody calling flush', async () => {
    const inst = await createTestInstance({ env: { LAST_USED_FLUSH_SECONDS: '1' } });
    try {
      const org = await createOrg(inst.deps);
      const { key, secret } = await createKey(inst.deps, org);
      await exchangeKey(inst.deps, { keyId: key.id, secret, context: { ip: '127.0.0.1', userAgent: null, requestId: null } });
      const usedAt = async () => (await inst.deps.db('api_keys').where('id', key.id).first()).last_used_at as Date | null;
      expect(await usedAt()).toBeNull();
      // The first flush comes at a random point of the first second, then one every second.
      await waitFor(async () => (await usedAt()) !== null, 5_000, 'the timed flush');
      expect(inst.deps.lastUsed.pending()).toBe(0);
    } finally {
      await inst.close();
    }
  });

  it('writes a large flush in batches, in key order, with bounded pauses only when paced; what fails waits for the next flush', async () => {
    const inst = await createTestInstance();
    try {
      const org = await createOrg(inst.deps);
      const keys = await Promise.all(Array.from({ length: 5 }, () => createKey(inst.deps, org)));
      const ids = keys.map((k) => k.key.id);
      const sorted = [...ids].sort();
      const statements: string[][] = [];
      inst.deps.db.on('query', (q: { sql: string; bindings?: unknown[] }) => {
        if (/UPDATE api_keys/i.test(q.sql)) statements.push(q.bindings![0] as string[]);
      });
      const pauses: number[] = [];
      const tracker = createLastUsedTracker(inst.deps.db, 0, { batchSize: 2, pauseMs: 30, pauseBudgetMs: 50 }, async (ms) => {
        pauses.push(ms);
      });
      const at = Date.now();
      for (const id of [...ids].reverse()) tracker.touch(id, at);

      expect(await tracker.flush({ paced: true })).toEqual({ keys: 5, writes: 3, rows: 5 });
      expect(statements).toEqual([sorted.slice(0, 2), sorted.slice(2, 4), sorted.slice(4)]);
      expect(pauses).toEqual([25, 25]); // 30 ms each would overrun the 50 ms budget
      expect(tracker.writes()).toBe(3);
      const rows = await inst.deps.db('api_keys').whereIn('id', ids);
      for (const r of rows) expect(r.last_used_at.getTime()).toBe(at);

      // Shutdown's flush does not pause.
      for (const id of ids) tracker.touch(id, at + 1_000);
      expect(await tracker.flush()).toEqual({ keys: 5, writes: 3, rows: 5 });
      expect(pauses).toHaveLength(2);

      // The second batch fails (a time the database cannot take): it and the rest stay pending.
      tracker.touch(sorted[0]!, at + 2_000);
      tracker.touch(sorted[1]!, at + 2_000);
      tracker.touch(sorted[2]!, Number.NaN);
      tracker.touch(sorted[3]!, at + 2_000);
      await expect(tracker.flush()).rejects.toThrow();
      expect(tracker.pending()).toBe(2);
      const first = await inst.deps.db('api_keys').where('id', sorted[0]!).first();
      expect(first.last_used_at.getTime()).toBe(at + 2_000);
    } finally {
      await inst.close();
    }
  });

  it('rewrites a key in steady use about once per interval however many processes serve it, never backwards', async () => {
    // Two processes of one deployment, on one clock: each flushes the keys it served.
    const clock = fakeClock();
    const prefix = newPrefix();
    const a = await createTestInstance({ prefix, clock });
    const b = await createTestInstance({ prefix, clock });
    try {
      const flushSeconds = a.config.lastUsedFlushSeconds;
      const advanceMs = lastUsedMinAdvanceMs(flushSeconds);
      expect(flushSeconds * 1000 + advanceMs).toBeLessThanOrEqual(60_000); // DESIGN.md: within a minute
      expect(advanceMs).toBeGreaterThan(0);
      const org = await createOrg(a.deps);
      const keys = await Promise.all(Array.from({ length: 3 }, () => createKey(a.deps, org)));
      const ids = keys.map((k) => k.key.id);
      const context = { ip: '127.0.0.1', userAgent: null, requestId: null };
      const serve = async (inst: TestInstance) => {
        for (const k of keys) await exchangeKey(inst.deps, { keyId: k.key.id, secret: k.secret, context });
      };
      const stored = async () => {
        const rows = await a.deps.db('api_keys').whereIn('id', ids).select('last_used_at', a.deps.db.raw('xmin::text AS xmin'));
        return { times: new Set(rows.map((r: { last_used_at: Date }) => r.last_used_at.toISOString())), xmins: rows.map((r: { xmin: string }) => r.xmin).sort() };
      };
      const t0 = clock.now();

      await serve(a);
      expect(await a.deps.lastUsed.flush()).toEqual({ keys: 3, writes: 1, rows: 3 });
      const first = await stored();
      expect([...first.times]).toEqual([new Date(t0).toISOString()]);

      // B served the same keys a little later: its flush finds the rows recent enough and leaves them.
      clock.advance(advanceMs - 1_000);
      await serve(b);
      expect(await b.deps.lastUsed.flush()).toEqual({ keys: 3, writes: 1, rows: 0 });
      expect(await stored()).toEqual(first); // same row versions: nothing was rewritten

      // A serves again (its flush comes later); B's time, more than the bound newer, moves the rows on.
      clock.advance(2_000);
      await serve(a);
      clock.advance(advanceMs + 10_000);
      await serve(b);
      expect(await b.deps.lastUsed.flush()).toEqual({ keys: 3, writes: 1, rows: 3 });
      const second = await stored();
      expect([...second.times]).toEqual([new Date(clock.now()).toISOString()]);

      // A's flush carries its older time: it never moves the rows back.
      expect(await a.deps.lastUsed.flush()).toEqual({ keys: 3, writes: 1, rows: 0 });
      expect(await stored()).toEqual(second);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('is flushed when the instance closes', async () => {
    const inst = await createTestInstance();
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    await inst.close();
    const row = await waitForRow(inst, key.id);
    expect(row.last_used_at).not.toBeNull();
  });
});

async function waitForRow(inst: TestInstance, id: string) {
  const { createDb } = await import('../../src/storage/db.js');
  const db = createDb(inst.config.databaseUrl, 1);
  try {
    let row;
    await waitFor(
      async () => {
        row = await db('api_keys').where({ id }).first();
        return row.last_used_at !== null;
      },
      2_000,
      'last_used_at',
    );
    return row as unknown as { last_used_at: Date };
  } finally {
    await db.destroy();
  }
}
