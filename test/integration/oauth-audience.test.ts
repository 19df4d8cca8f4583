import request from 'supertest';
import { verifyAccessToken } from '../../src/domain/token-verification.js';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createKey, createOrg, exchange } from '../support/fixtures.js';

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const BILLING = 'https://billing.test';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => inst.close());

/** A key of `org` with the management scopes, and a token from it (for its own audiences). */
async function managerToken(org: Awaited<ReturnType<typeof createOrg>>, audiences: string[] = []) {
  const { key, secret } = await createKey(inst.deps, org, { scopes: ['keys:read', 'keys:write'], audiences });
  return exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
}

describe('Bearer callers of /oauth/introspect and /oauth/revoke (issue 16, point 6)', () => {
  it('refuses a token minted for another audience with 401 invalid_token', async () => {
    const org = await createOrg(inst.deps);
    const billingToken = await managerToken(org, [BILLING]);
    const { key, secret } = await createKey(inst.deps, org);
    const subject = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    for (const path of ['/oauth/introspect', '/oauth/revoke']) {
      const res = await request(inst.app).post(path).set(auth(billingToken)).type('form').send({ token: subject });
      expect({ path, status: res.status, error: res.body.error }).toEqual({ path, status: 401, error: 'invalid_token' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="scope-auth", error="invalid_token"/);
    }
    // Nothing was revoked on the strength of that token.
    expect((await verifyAccessToken(inst.deps, subject)).sub).toBe(key.id);
  });

  it('still accepts a token for the management audience', async () => {
    const org = await createOrg(inst.deps);
    const managementToken = await managerToken(org);
    const { key, secret } = await createKey(inst.deps, org);
    const subject = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    const res = await request(inst.app).post('/oauth/introspect').set(auth(managementToken)).type('form').send({ token: subject }).expect(200);
    expect(res.body).toMatchObject({ active: true, sub: key.id });
    await request(inst.app).post('/oauth/revoke').set(auth(managementToken)).type('form').send({ token: subject }).expect(200, '');
    await request(inst.app).post('/oauth/introspect').set(auth(managementToken)).type('form').send({ token: subject }).expect(200, { active: false });
  });
});
