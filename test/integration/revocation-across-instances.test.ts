import { redisOf } from '../support/redis.js';
import request from 'supertest';
import { twoInstances, waitFor, type TestInstance } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { auth, createAdmin, createKey } from '../support/fixtures.js';
import { monitorRedis } from '../support/redis-monitor.js';

describe('revocation across instances', () => {
  const pair = twoInstances();
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(() => ({ a, b } = pair));

  it('refuses a key revoked on instance A at the very next exchange on instance B', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    for (let i = 0; i < 20; i++) {
      const { key, secret } = await createKey(a.deps, org);
      // B has the key cached from a successful exchange: only the revocation's push can stop it.
      // (B caches only while it trusts its memory: a lease read late on a busy machine makes it read
      // Postgres instead for a moment, so exchange until it has cached the key.)
      await waitFor(
        async () => {
          await request(b.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
          return b.deps.keyCache.get(key.id) !== undefined;
        },
        10_000,
        'instance B to cache the key',
      );
      expect(b.deps.keyCache.get(key.id)).toMatchObject({ id: key.id, revokedAt: null });
      await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
      await request(b.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
    }
  });

  it('writes the Redis list before announcing the revocation to verifiers and instances', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const { key } = await createKey(a.deps, org);
    const keys = a.deps.redisKeys;
    const calls: string[] = [];
    const stop = await monitorRedis(TEST_REDIS_URL, (args) => {
      const [command, target] = args;
      if (
        target === keys.revocationEntries ||
        target === keys.revocationExpiry ||
        target === keys.revocationChannel ||
        target === keys.instanceChannel
      ) {
        calls.push(`${command!.toLowerCase()} ${target}`);
      }
    });
    try {
      await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
      await waitFor(() => calls.length >= 4, 5_000, 'the revocation seen by MONITOR');
    } finally {
      stop();
    }
    // The list first: a verifier that reloads on the announcement finds the entry.
    // (First occurrences: B's periodic reconcile may rewrite an entry it found missing.)
    // The two announcements may go in either order; both follow the list's transaction.
    const seen = [...new Set(calls)];
    expect(seen.slice(0, 2)).toEqual([`hset ${keys.revocationEntries}`, `zadd ${keys.revocationExpiry}`]);
    expect(seen.slice(2).sort()).toEqual([`publish ${keys.instanceChannel}`, `publish ${keys.revocationChannel}`].sort());
  });

  it('keeps the Redis list in step with Postgres', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const { key } = await createKey(a.deps, org);
    await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
    const raw = await redisOf(a.deps).hget(a.deps.redisKeys.revocationEntries, `key:${key.id}`);
    expect(JSON.parse(raw!)).toMatchObject({ type: 'key', key_id: key.id });
    const row = await a.deps.db('revocations').where({ key_id: key.id, kind: 'key' }).first();
    expect(JSON.parse(raw!).seq).toBe(row.seq);
  });
});
