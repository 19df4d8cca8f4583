import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { createTestInstance, newPrefix, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';
import { TEST_ISSUER } from '../support/env.js';
import { createKey, createOrg, exchange } from '../support/fixtures.js';

type Jwk = { kid: string; alg: string; kty: string; n?: string };
const jwks = async (inst: TestInstance) => (await request(inst.app).get('/.well-known/jwks.json').expect(200)).body as { keys: Jwk[] };
const algOf = (t: string) => decodeProtectedHeader(t).alg;

describe('SIGNING_ALG', () => {
  it('signs with a 2048-bit RS256 key when configured, verifiable from the JWKS', async () => {
    const inst = await createTestInstance({ env: { SIGNING_ALG: 'RS256' }, databaseUrl: await isolatedDatabase('rs256') });
    try {
      const org = await createOrg(inst.deps);
      const { key, secret } = await createKey(inst.deps, org);
      const token = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
      const set = await jwks(inst);
      expect(set.keys).toHaveLength(1);
      expect(set.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', e: 'AQAB' });
      expect(Buffer.from(set.keys[0]!.n!, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
      await expect(jwtVerify(token, createLocalJWKSet(set), { issuer: TEST_ISSUER, audience: TEST_ISSUER })).resolves.toBeDefined();
    } finally {
      await inst.close();
    }
  });

  // Instance `a` runs with the old value; `b` starts on the same database with the new one, as in a
  // rolling restart. Compressed time: JWKS max-age 1 s, reload every 1 s, so pre-publication is 2 s.
  it.each([
    ['EdDSA', 'ES256'],
    ['ES256', 'RS256'],
    ['RS256', 'EdDSA'],
  ])('changes from %s to %s through a pre-published rotation, and live tokens keep verifying', async (from, to) => {
    const env = { JWKS_MAX_AGE_SECONDS: '1', SIGNING_KEY_REFRESH_SECONDS: '1' };
    const clock = fakeClock();
    const databaseUrl = await isolatedDatabase(`alg-${from}-${to}`.toLowerCase());
    const prefix = newPrefix();
    const a = await createTestInstance({ databaseUrl, prefix, clock, env: { ...env, SIGNING_ALG: from } });
    let b: TestInstance | undefined;
    try {
      const org = await createOrg(a.deps);
      const { key, secret } = await createKey(a.deps, org);
      const creds = { org_id: key.orgId, key_id: key.id, secret };
      const before = await exchange(a.app, creds);
      expect(algOf(before)).toBe(from);
      const cachedBefore = createLocalJWKSet(await jwks(a));

      b = await createTestInstance({ databaseUrl, prefix, clock, env: { ...env, SIGNING_ALG: to } });
      await a.deps.keyring.refresh(); // its periodic reload
      // The successor is published by both at once, but the old key keeps signing on both...
      for (const inst of [a, b]) expect((await jwks(inst)).keys.map((k) => k.alg)).toEqual([from, to]);
      const during = [await exchange(a.app, creds), await exchange(b.app, creds)];
      expect(during.map(algOf)).toEqual([from, from]);
      // ...until the JWKS caches of before the change have expired and every instance has reloaded.
      clock.advance(2_000);
      const after = [await exchange(a.app, creds), await exchange(b.app, creds)];
      expect(after.map(algOf)).toEqual([to, to]);
      // A restart with the new value creates no further key.
      await b.close();
      b = await createTestInstance({ databaseUrl, prefix, clock, env: { ...env, SIGNING_ALG: to } });
      expect((await jwks(b)).keys).toHaveLength(2);

      const cachedNow = createLocalJWKSet(await jwks(a));
      const options = { issuer: TEST_ISSUER, audience: TEST_ISSUER, currentDate: new Date(clock.now()) };
      for (const t of [before, ...during]) await expect(jwtVerify(t, cachedBefore, options)).resolves.toBeDefined();
      for (const t of [before, ...during, ...after]) {
        await expect(jwtVerify(t, cachedNow, options)).resolves.toBeDefined();
        const basic = `Basic ${Buffer.from(`${key.id}:${secret}`).toString('base64')}`;
        const res = await request(b.app).post('/oauth/introspect').set('Authorization', basic).type('form').send({ token: t }).expect(200);
        expect(res.body.active).toBe(true);
      }
    } finally {
      await b?.close();
      await a.close();
    }
  });
});
