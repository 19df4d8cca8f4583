import { Redis } from 'ioredis';
import request from 'supertest';
import { encodeEntry } from '../../src/domain/revocation/wire.js';
import { createTestInstance, newPrefix, type TestInstance } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { auth, createAdmin, createKey, exchange } from '../support/fixtures.js';
import { deleteRedisPrefix } from '../support/redis.js';

describe('revocation list after Redis loses its data', () => {
  const prefix = newPrefix();
  let a: TestInstance;
  let b: TestInstance;
  let raw: Redis;
  // What a FLUSHDB does to this deployment, leaving other files' and other runs' keys alone.
  const loseRedisData = () => deleteRedisPrefix(raw, prefix);
  beforeAll(async () => {
    a = await createTestInstance({ prefix });
    b = await createTestInstance({ prefix });
    raw = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    raw.disconnect();
    await a.close();
    await b.close();
  });

  it('still refuses the revoked key after losing every Redis key, and the list comes back from Postgres', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const { key, secret } = await createKey(a.deps, org);
    const issued = await exchange(b.app, { org_id: key.orgId, key_id: key.id, secret });
    await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);

    await loseRedisData();
    expect(await raw.hlen(a.deps.redisKeys.revocationEntries)).toBe(0);

    await request(b.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
    await request(a.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
    await request(b.app).post('/oauth/introspect').set(auth(token)).type('form').send({ token: issued }).expect(200, { active: false });

    // Asking for the list rebuilds it in Redis before answering.
    const feed = await request(b.app).get('/v1/revocations').expect(200);
    expect(feed.body.revocations.map((e: { key_id: string }) => e.key_id)).toContain(key.id);
    expect(await raw.hexists(a.deps.redisKeys.revocationEntries, 'ready')).toBe(1);
    expect(await raw.hget(a.deps.redisKeys.revocationEntries, `key:${key.id}`)).not.toBeNull();

    // A fresh instance starting on the emptied-then-rebuilt Redis knows it too.
    await loseRedisData();
    const c = await createTestInstance({ prefix });
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
    await loseRedisData();
    await a.deps.sync.maintain();
    expect(await raw.hget(a.deps.redisKeys.revocationEntries, `key:${key.id}`)).not.toBeNull();
  });
});

describe('the Redis-held list', () => {
  // One instance: no other one's maintenance may do the repair these tests expect of it.
  let a: TestInstance;
  let raw: Redis;
  beforeAll(async () => {
    a = await createTestInstance();
    raw = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    raw.disconnect();
    await a.close();
  });

  it('is repaired when an entry was edited in Redis, not only when one is missing', async () => {
    const { org, token: admin } = await createAdmin(a.deps, a.app);
    const { key } = await createKey(a.deps, org);
    await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(admin)).expect(200);
    const field = `key:${key.id}`;
    const good = await raw.hget(a.deps.redisKeys.revocationEntries, field);
    const entry = JSON.parse(good!) as { seq: number };
    // Same seq, but an expiry in the past: a verifier loading it would drop the entry.
    await raw.hset(a.deps.redisKeys.revocationEntries, field, JSON.stringify({ ...entry, expires_at: 1 }));
    await a.deps.sync.maintain();
    const row = await a.deps.db('revocations').where({ kind: 'key', key_id: key.id }).first();
    expect(await raw.hget(a.deps.redisKeys.revocationEntries, field)).toBe(
      encodeEntry({
        seq: row.seq,
        kind: 'key',
        keyId: key.id,
        jti: null,
        revokedAt: Math.floor(row.revoked_at.getTime() / 1000),
        expiresAt: Math.floor(row.expires_at.getTime() / 1000),
      }),
    );
  });

  it('loses its ready marker together with its entries, so an emptied list is rebuilt before anyone trusts it', async () => {
    const { org, token: admin } = await createAdmin(a.deps, a.app);
    const { key } = await createKey(a.deps, org);
    await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(admin)).expect(200);
    // Only the entries go (an eviction, a careless DEL): nothing else is touched.
    await raw.del(a.deps.redisKeys.revocationEntries);
    await a.deps.sync.ensureReady();
    expect(await raw.hget(a.deps.redisKeys.revocationEntries, `key:${key.id}`)).not.toBeNull();
  });
});
