import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import request from 'supertest';
import { fakeClock, systemClock } from '../../src/clock.js';
import { createKeyring } from '../../src/domain/signing-keys.js';
import { createDb } from '../../src/storage/db.js';
import { createTestInstance, newPrefix, testConfig, waitFor, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';
import { TEST_ISSUER } from '../support/env.js';
import { createKey, createOrg, exchange } from '../support/fixtures.js';

const kidOf = (t: string) => decodeProtectedHeader(t).kid;
const jwksKids = async (inst: TestInstance) =>
  ((await request(inst.app).get('/.well-known/jwks.json').expect(200)).body.keys as { kid: string }[]).map((k) => k.kid);

describe('signing-key rotation', () => {
  // Compressed time: the JWKS may be cached 1 s and instances reload keys every second,
  // so a new key is published 2 s before it signs. Time moves by the instances' clock.
  const env = { JWKS_MAX_AGE_SECONDS: '1', SIGNING_KEY_REFRESH_SECONDS: '1' };
  const clock = fakeClock();
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(async () => {
    const databaseUrl = await isolatedDatabase('rotation');
    const prefix = newPrefix();
    a = await createTestInstance({ databaseUrl, prefix, env, clock });
    b = await createTestInstance({ databaseUrl, prefix, env, clock });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  /**
   * A verifier that caches the JWKS for the max-age its response allows, on the test's clock, and
   * never refetches early on an unknown kid: only pre-publication can make a new key's tokens verify.
   */
  function cachingVerifier() {
    let cached: { keys: ReturnType<typeof createLocalJWKSet>; untilMs: number } | undefined;
    const keySet: JWTVerifyGetKey = async (header, token) => {
      if (!cached || clock.now() >= cached.untilMs) {
        const res = await request(a.app).get('/.well-known/jwks.json').expect(200);
        const maxAgeSeconds = Number(/max-age=(\d+)/.exec(String(res.headers['cache-control']))?.[1]);
        expect(maxAgeSeconds).toBe(1);
        cached = { keys: createLocalJWKSet(res.body), untilMs: clock.now() + maxAgeSeconds * 1000 };
      }
      return cached.keys(header, token);
    };
    return (t: string) =>
      jwtVerify(t, keySet, { issuer: TEST_ISSUER, audience: TEST_ISSUER, typ: 'at+jwt', currentDate: new Date(clock.now()) });
  }

  it('publishes the next key before anyone signs with it, and every token verifies through a JWKS cached before the rotation', async () => {
    const org = await createOrg(a.deps);
    const { key, secret } = await createKey(a.deps, org);
    const creds = { org_id: key.orgId, key_id: key.id, secret };
    const verify = cachingVerifier();

    const before = await exchange(a.app, creds);
    const oldKid = kidOf(before);
    await verify(before); // the verifier has now cached the JWKS

    const next = await a.deps.keyring.rotate();
    await a.deps.bus.publish({ type: 'signing-keys.changed' });
    expect(next.kid).not.toBe(oldKid);
    expect(next.activatesAt.getTime() - clock.now()).toBeGreaterThan(1_500);
    // Published at once by every instance, without a restart...
    expect(await jwksKids(a)).toEqual(expect.arrayContaining([oldKid, next.kid]));
    expect(await jwksKids(b)).toEqual(expect.arrayContaining([oldKid, next.kid]));
    // ...but nobody signs with it yet, up to the last millisecond before its activation.
    const during = [await exchange(a.app, creds), await exchange(b.app, creds)];
    clock.set(next.activatesAt.getTime() - 1);
    during.push(await exchange(a.app, creds), await exchange(b.app, creds));
    expect(during.map(kidOf)).toEqual([oldKid, oldKid, oldKid, oldKid]);

    clock.set(next.activatesAt.getTime());
    // Both instances agree on the active key.
    const after = [await exchange(a.app, creds), await exchange(b.app, creds)];
    expect(after.map(kidOf)).toEqual([next.kid, next.kid]);

    for (const t of [before, ...during, ...after]) await expect(verify(t)).resolves.toBeDefined();
    // The retired key stays published while its tokens live.
    expect(await jwksKids(a)).toEqual(expect.arrayContaining([oldKid, next.kid]));
  });

  it('never stores a private key in clear', async () => {
    const rows = await a.deps.db('signing_keys').select('*');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) {
      expect(r.private_jwk_enc).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
      expect(r.private_jwk_enc).not.toContain('"d"');
      expect(Object.keys(r.public_jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    }
  });
});

describe('retired keys and automatic rotation', () => {
  it('drop a retired key from the JWKS once every token it signed has expired', async () => {
    const clock = fakeClock();
    const inst = await createTestInstance({ clock, databaseUrl: await isolatedDatabase('retire'), env: { TOKEN_TTL_SECONDS: '300' } });
    try {
      const oldKid = (await jwksKids(inst))[0]!;
      const next = await inst.deps.keyring.rotate({ immediate: true });
      clock.advance(1);
      expect(inst.deps.keyring.activeKey(clock.now()).kid).toBe(next.kid);
      clock.advance((300 + 60 - 1) * 1000);
      await inst.deps.keyring.refresh();
      expect(await jwksKids(inst)).toEqual([oldKid, next.kid]);
      clock.advance(2_000);
      await inst.deps.keyring.refresh();
      expect(await jwksKids(inst)).toEqual([next.kid]);
      expect(await inst.deps.keyring.prune()).toBe(1);
      expect((await inst.deps.db('signing_keys').select('kid')).map((r: { kid: string }) => r.kid)).toEqual([next.kid]);
    } finally {
      await inst.close();
    }
  });

  it('withdraws every older key at once after a compromise', async () => {
    const inst = await createTestInstance({ databaseUrl: await isolatedDatabase('withdraw') });
    try {
      const org = await createOrg(inst.deps);
      const { key, secret } = await createKey(inst.deps, org);
      const old = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
      const next = await inst.deps.keyring.rotate({ withdrawPrevious: true });
      expect(await jwksKids(inst)).toEqual([next.kid]);
      await request(inst.app)
        .post('/oauth/introspect')
        .set('Authorization', `Basic ${Buffer.from(`${key.id}:${secret}`).toString('base64')}`)
        .type('form')
        .send({ token: old })
        .expect(200, { active: false });
      expect(kidOf(await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret }))).toBe(next.kid);
    } finally {
      await inst.close();
    }
  });

  it('rotates automatically every SIGNING_KEY_ROTATION_DAYS, once', async () => {
    const clock = fakeClock();
    const inst = await createTestInstance({ clock, databaseUrl: await isolatedDatabase('auto'), env: { SIGNING_KEY_ROTATION_DAYS: '30' } });
    try {
      expect(await inst.deps.keyring.rotateIfDue()).toBeUndefined();
      clock.advance(30 * 86_400_000 + 1_000);
      const rotated = await inst.deps.keyring.rotateIfDue();
      expect(rotated).toBeDefined();
      expect(await inst.deps.keyring.rotateIfDue()).toBeUndefined(); // the pending successor counts
      expect(await jwksKids(inst)).toContain(rotated!.kid);
    } finally {
      await inst.close();
    }
  });
});

describe('keyring loads', () => {
  it('apply in the order they were asked for: a refresh waits for the first load, and the instance can sign', async () => {
    const databaseUrl = await isolatedDatabase('load_order');
    const config = testConfig(newPrefix(), {}, databaseUrl);
    const db = createDb(databaseUrl, 2);
    const holder = createDb(databaseUrl, 1);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    try {
      const keyring = createKeyring({ config, db, clock: systemClock });
      // Another instance holds the signing-key lock: init() waits for it with the table still empty.
      const holding = holder.transaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', ['scope-auth:signing-keys']);
        await released;
      });
      await waitFor(
        async () =>
          (
            await db.raw(
              `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted`,
            )
          ).rows[0].n > 0,
        5_000,
        'lock held',
      );
      const init = keyring.init();
      let refreshed = false;
      const refresh = keyring.refresh().then(() => (refreshed = true));
      // An empty read applied after init's load would leave the instance without a key. init holds
      // one of the pool's two connections; a query queued after the refresh's own read gets the
      // other only once that read is done, so a refresh that did not wait would have finished by now.
      await db.raw('SELECT 1');
      expect(refreshed).toBe(false);
      release();
      await Promise.all([holding, init, refresh]);
      expect(keyring.activeKey(Date.now()).kid).toEqual(expect.any(String));
    } finally {
      release(); // a failed assertion must not leave the lock's transaction open
      await holder.destroy();
      await db.destroy();
    }
  });

  it('a new instance on an empty database signs its very first exchange', async () => {
    // Its pub/sub resync (which reloads the keys) used to race its first load of them.
    for (let i = 0; i < 10; i++) {
      const inst = await createTestInstance({ databaseUrl: await isolatedDatabase(`first_exchange_${i}`) });
      try {
        const org = await createOrg(inst.deps);
        const { key, secret } = await createKey(inst.deps, org);
        await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
      } finally {
        await inst.close();
      }
    }
  });
});
