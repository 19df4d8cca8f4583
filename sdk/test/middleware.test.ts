import express from 'express';
import request from 'supertest';
import { decodeJwt } from 'jose';
import { createTestInstance, listen, newPrefix, type TestInstance } from '../../test/support/app.js';
import { createKey, createOrg, exchange } from '../../test/support/fixtures.js';
import { TEST_ISSUER } from '../../test/support/env.js';
import { createVerifier, requireAuth, type Claims, type Verifier } from '../src/index.js';
import { fakeClock } from './support/helpers.js';

let inst: TestInstance;
let srv: Awaited<ReturnType<typeof listen>>;
let verifier: Verifier;
let token: string;

function resourceApp(v: Verifier) {
  const app = express();
  app.get('/read', requireAuth({ verifier: v }), (req, res) => {
    // A plain type: in a project that also loads the MCP SDK, its AuthInfo shadows req.auth's type.
    const auth = (req as { auth?: Claims }).auth;
    res.json({ sub: auth?.sub, scope: auth?.scope });
  });
  app.get('/admin', requireAuth({ verifier: v, scopes: ['admin', 'write'], realm: 'orders' }), (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

beforeAll(async () => {
  inst = await createTestInstance({ prefix: newPrefix() });
  srv = await listen(inst.app);
  verifier = createVerifier({ issuer: TEST_ISSUER, audience: TEST_ISSUER, jwksUrl: `${srv.url}/.well-known/jwks.json`, revocation: false });
  const org = await createOrg(inst.deps);
  const { key, secret } = await createKey(inst.deps, org, { scopes: ['read', 'write'] });
  token = await exchange(inst.app, { org_id: org.id, key_id: key.id, secret });
});
afterAll(async () => {
  await verifier.close();
  await srv.close();
  await inst.close();
});

describe('requireAuth', () => {
  it('answers 401 with a bare challenge when there is no token', async () => {
    const res = await request(resourceApp(verifier))
      .get('/read')
      .expect(401, { error: 'invalid_token', error_description: 'an access token is required' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="scope-auth"');
  });

  it('answers 401 invalid_token for a bad token', async () => {
    const res = await request(resourceApp(verifier))
      .get('/read')
      .set('Authorization', 'Bearer not.a.jwt')
      .expect(401, { error: 'invalid_token', error_description: 'token is malformed' });
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="scope-auth", error="invalid_token", error_description="token is malformed"',
    );
  });

  it('answers another scheme with a bare challenge (RFC 6750 §3.1)', async () => {
    const res = await request(resourceApp(verifier)).get('/read').set('Authorization', 'Basic Zm9vOmJhcg==').expect(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'an access token is required' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="scope-auth"');
  });

  it('answers a malformed Bearer header with 400 invalid_request', async () => {
    const res = await request(resourceApp(verifier)).get('/read').set('Authorization', 'Bearer a b').expect(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Authorization header must be "Bearer <token>"' });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="scope-auth", error="invalid_request"/);
  });

  it('answers 401 invalid_token saying the token expired', async () => {
    const late = createVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_ISSUER,
      jwksUrl: `${srv.url}/.well-known/jwks.json`,
      revocation: false,
      clock: fakeClock((decodeJwt(token).exp! + 60) * 1000),
    });
    try {
      const res = await request(resourceApp(late))
        .get('/read')
        .set('Authorization', `Bearer ${token}`)
        .expect(401, { error: 'invalid_token', error_description: 'token has expired' });
      expect(res.headers['www-authenticate']).toContain('error="invalid_token", error_description="token has expired"');
    } finally {
      await late.close();
    }
  });

  it('answers 403 insufficient_scope naming the required scopes', async () => {
    const res = await request(resourceApp(verifier))
      .get('/admin')
      .set('Authorization', `Bearer ${token}`)
      .expect(403, { error: 'insufficient_scope', error_description: 'token lacks scope "admin"' });
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="token lacks scope \'admin\'", scope="admin write"',
    );
  });

  it('passes the verified claims on req.auth', async () => {
    const res = await request(resourceApp(verifier)).get('/read').set('Authorization', `bearer  ${token}`).expect(200);
    expect(res.body).toEqual({ sub: decodeJwt(token).sub, scope: 'read write' });
  });
});
