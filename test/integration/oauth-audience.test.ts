import request from 'supertest';
import { verifyAccessToken } from '../../src/domain/token-verification.js';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { auth, createKey, createOrg, exchange } from '../support/fixtures.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
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
    const res = await request(inst.app)
      .post('/oauth/introspect')
      .set(auth(managementToken))
      .type('form')
      .send({ token: subject })
      .expect(200);
    expect(res.body).toMatchObject({ active: true, sub: key.id });
    await request(inst.app).post('/oauth/revoke').set(auth(managementToken)).type('form').send({ token: subject }).expect(200, '');
    await request(inst.app)
      .post('/oauth/introspect')
      .set(auth(managementToken))
      .type('form')
      .send({ token: subject })
      .expect(200, { active: false });
  });
});

describe("POST /oauth/revoke with another org's token (issue 16, point 14)", () => {
  it('answers 200 like for garbage, revokes nothing, and the token still verifies', async () => {
    const owner = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, owner);
    const token = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    const strangerOrg = await createOrg(inst.deps);
    const stranger = await createKey(inst.deps, strangerOrg);
    const strangerAdmin = await managerToken(strangerOrg);

    const garbage = await request(inst.app)
      .post('/oauth/revoke')
      .set('Authorization', basic(stranger.key.id, stranger.secret))
      .type('form')
      .send({ token: 'garbage' });
    for (const caller of [basic(stranger.key.id, stranger.secret), `Bearer ${strangerAdmin}`]) {
      const res = await request(inst.app).post('/oauth/revoke').set('Authorization', caller).type('form').send({ token });
      expect({ status: res.status, text: res.text }).toEqual({ status: garbage.status, text: garbage.text });
      expect(res.status).toBe(200);
    }
    expect((await verifyAccessToken(inst.deps, token)).jti).toEqual(expect.any(String));
    const introspected = await request(inst.app)
      .post('/oauth/introspect')
      .set('Authorization', basic(key.id, secret))
      .type('form')
      .send({ token })
      .expect(200);
    expect(introspected.body.active).toBe(true);
    expect(await inst.deps.db('revocations').where({ key_id: key.id }).first()).toBeUndefined();
  });

  it('still refuses a sibling key of the same org that is not an admin', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    const sibling = await createKey(inst.deps, org);
    const token = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    await request(inst.app)
      .post('/oauth/revoke')
      .set('Authorization', basic(sibling.key.id, sibling.secret))
      .type('form')
      .send({ token })
      .expect(400, {
        error: 'invalid_request',
        error_description: 'this token was not issued to the authenticated client',
      });
  });
});
