import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createAdmin, createKey, createOrg } from '../support/fixtures.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const BILLING = 'https://billing.test';
const REPORTS = 'https://reports.test';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => inst.close());

describe('several resource parameters (RFC 8707 §2)', () => {
  it('refuses them with invalid_target, in a form and in JSON', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org, { audiences: [BILLING, REPORTS] });
    const form = await request(inst.app)
      .post('/oauth/token')
      .set('Authorization', basic(key.id, secret))
      .type('form')
      .send(`grant_type=client_credentials&resource=${encodeURIComponent(BILLING)}&resource=${encodeURIComponent(REPORTS)}`);
    expect({ status: form.status, body: form.body }).toEqual({
      status: 400,
      body: { error: 'invalid_target', error_description: 'request one resource per token' },
    });
    const json = await request(inst.app)
      .post('/v1/token')
      .send({ org_id: org.id, key_id: key.id, secret, resource: [BILLING, REPORTS] });
    expect({ status: json.status, body: json.body }).toEqual({
      status: 400,
      body: { error: 'invalid_target', error_description: 'request one resource per token' },
    });
    // One of them alone is granted.
    const one = await request(inst.app)
      .post('/oauth/token')
      .set('Authorization', basic(key.id, secret))
      .type('form')
      .send({ grant_type: 'client_credentials', resource: REPORTS })
      .expect(200);
    expect(JSON.parse(Buffer.from(String(one.body.access_token).split('.')[1]!, 'base64url').toString()).aud).toBe(REPORTS);
  });
});

describe('the Authorization header on the management API (RFC 6750 §3.1)', () => {
  it.each([['Bearer'], ['Bearer '], ['Bearer a b'], ['Bearer tok"en'], ['bearer ,,,']])(
    'answers a malformed Bearer header %j with 400 invalid_request',
    async (header) => {
      const res = await request(inst.app).get('/v1/keys').set('Authorization', header);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: 'Authorization header must be "Bearer <token>"' },
      });
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="scope-auth", error="invalid_request", error_description="Authorization header must be 'Bearer <token>'"`,
      );
    },
  );

  it.each([['Basic Zm9vOmJhcg=='], ['Token abc'], ['DPoP abc.def.ghi'], ['Bearerabc']])(
    'answers another scheme %j with a bare challenge',
    async (header) => {
      const res = await request(inst.app).get('/v1/keys').set('Authorization', header);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 401,
        body: { error: 'invalid_token', error_description: 'an access token is required' },
      });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="scope-auth"');
    },
  );

  it('still accepts a well-formed token', async () => {
    const { token } = await createAdmin(inst.deps, inst.app);
    await request(inst.app).get('/v1/keys').set('Authorization', `Bearer ${token}`).expect(200);
  });
});

describe('a method a path does not answer (RFC 9110 §15.5.6)', () => {
  it.each([
    ['get', '/oauth/token', 'POST'],
    ['put', '/v1/token', 'POST'],
    ['post', '/.well-known/jwks.json', 'GET, HEAD'],
    ['put', '/v1/keys/key_01JAAAAAAAAAAAAAAAAAAAAAAA', 'GET, HEAD, PATCH, DELETE'],
  ] as const)('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const res = await request(inst.app)[method](path);
    expect({ status: res.status, allow: res.headers['allow'], error: res.body.error }).toEqual({
      status: 405,
      allow,
      error: 'invalid_request',
    });
    expect(res.body.error_description).toBe(`method ${method.toUpperCase()} is not allowed here; use ${allow.split(', ').join(' or ')}`);
  });

  it('still answers 404 for a path no route has', async () => {
    await request(inst.app).get('/oauth/nothing').expect(404);
  });
});
