// The Fastify plugin (issue 22, point 7): the same verifier and the same RFC 6750 answers as the
// express middleware, over real HTTP (fastify's inject() needs an ESM-only cookie on Node 20).
import Fastify from 'fastify';
import { createTestInstance, listen, newPrefix, type TestInstance } from '../../test/support/app.js';
import { createKey, createOrg, exchange } from '../../test/support/fixtures.js';
import { TEST_ISSUER } from '../../test/support/env.js';
import { createVerifier, fastifyRequireAuth, scopeAuthPlugin, type Verifier } from '../src/index.js';

let inst: TestInstance;
let srv: Awaited<ReturnType<typeof listen>>;
let verifier: Verifier;
let token: string;

beforeAll(async () => {
  inst = await createTestInstance({ prefix: newPrefix() });
  srv = await listen(inst.app);
  verifier = createVerifier({ issuer: TEST_ISSUER, audience: TEST_ISSUER, jwksUrl: `${srv.url}/.well-known/jwks.json`, revocation: false });
  const org = await createOrg(inst.deps);
  const { key, secret } = await createKey(inst.deps, org, { scopes: ['read'] });
  token = await exchange(inst.app, { org_id: org.id, key_id: key.id, secret });
});
afterAll(async () => {
  await verifier.close();
  await srv.close();
  await inst.close();
});

async function app() {
  const f = Fastify({ forceCloseConnections: true });
  f.get('/open', () => Promise.resolve({ open: true }));
  f.get('/route', { preHandler: fastifyRequireAuth({ verifier, scopes: ['read'] }) }, (req) => Promise.resolve({ sub: req.auth?.sub }));
  await f.register(async (api) => {
    await api.register(scopeAuthPlugin, {
      verifier,
      scopes: ['admin'],
      resourceMetadataUrl: 'https://api.example.test/.well-known/oauth-protected-resource',
    });
    api.get('/api/admin', () => Promise.resolve({ ok: true }));
  });
  const url = await f.listen({ port: 0, host: '127.0.0.1' });
  const inject = async (o: { url: string; headers?: Record<string, string> }) => {
    const res = await fetch(`${url}${o.url}`, { headers: o.headers ?? {} });
    const text = await res.text();
    return {
      statusCode: res.status,
      headers: { 'www-authenticate': res.headers.get('www-authenticate') ?? undefined },
      json: () => JSON.parse(text) as Record<string, unknown>,
    };
  };
  return { inject, close: () => f.close() };
}

describe('Fastify', () => {
  it('passes the claims on request.auth with a valid token, and leaves other routes open', async () => {
    const f = await app();
    const ok = await f.inject({ url: '/route', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ sub: JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub });
    expect((await f.inject({ url: '/open' })).statusCode).toBe(200);
    await f.close();
  });

  it('answers RFC 6750 errors like the express middleware', async () => {
    const f = await app();
    const none = await f.inject({ url: '/route' });
    expect({ status: none.statusCode, body: none.json(), challenge: none.headers['www-authenticate'] }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'an access token is required' },
      challenge: 'Bearer realm="scope-auth"',
    });
    const malformed = await f.inject({ url: '/route', headers: { authorization: 'Bearer a b' } });
    expect({ status: malformed.statusCode, error: malformed.json().error }).toEqual({ status: 400, error: 'invalid_request' });
    const bad = await f.inject({ url: '/route', headers: { authorization: 'Bearer not.a.jwt' } });
    expect({ status: bad.statusCode, body: bad.json() }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'token is malformed' },
    });
    const scope = await f.inject({ url: '/api/admin', headers: { authorization: `Bearer ${token}` } });
    expect(scope.statusCode).toBe(403);
    expect(scope.headers['www-authenticate']).toBe(
      `Bearer realm="scope-auth", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource", error="insufficient_scope", error_description="token lacks scope 'admin'", scope="admin"`,
    );
    await f.close();
  });
});
