// The SDK's errors say what they could not reach and why (issue 22, point 8), and
// TokenClient.fetch surfaces a refused key instead of the resource's 401.
import request from 'supertest';
import { createServer } from 'node:net';
import { createTestInstance, listen, newPrefix, type TestInstance } from '../../test/support/app.js';
import { createAdmin, createKey } from '../../test/support/fixtures.js';
import { TEST_ISSUER } from '../../test/support/env.js';
import { createVerifier, ScopeAuthError, TokenClient } from '../src/index.js';
import { sendJson, startStub } from './support/helpers.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<ScopeAuthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ScopeAuthError)) throw new Error(`expected a ScopeAuthError, got ${String(err)}`);
  return err;
}

describe('errors that name the URL and the cause', () => {
  it('names the token endpoint and the refused connection', async () => {
    const authUrl = `http://127.0.0.1:${await closedPort()}`;
    const c = new TokenClient({
      orgId: 'org_01JAAAAAAAAAAAAAAAAAAAAAAA',
      apiKey: 'key_01JAAAAAAAAAAAAAAAAAAAAAAA',
      apiSecret: 'sk_test_x',
      authUrl,
      retry: { maxAttempts: 1 },
    });
    try {
      const err = await rejection(c.getToken());
      expect(err.code).toBe('network_error');
      expect(err.description).toBe(
        `could not reach the token endpoint ${authUrl}/v1/token: ECONNREFUSED (connect ECONNREFUSED ${authUrl.slice('http://'.length)})`,
      );
    } finally {
      c.close();
    }
  });

  it("names the revocation feed and the cause when ready() times out, and keeps them out of verify()'s public description", async () => {
    const authUrl = `http://127.0.0.1:${await closedPort()}`;
    const v = createVerifier({ issuer: TEST_ISSUER, audience: TEST_ISSUER, revocation: { authUrl, readyTimeoutMs: 300 } });
    try {
      const err = await rejection(v.ready());
      expect(err.code).toBe('unavailable');
      expect(err.description).toBe(
        `revocation list not loaded yet within 300 ms: could not reach the revocation feed ${authUrl}/v1/revocations: ECONNREFUSED (connect ECONNREFUSED ${authUrl.slice('http://'.length)})`,
      );
      const fromVerify = await rejection(v.verify('a.b.c'));
      expect(fromVerify.code).toBe('invalid_token'); // malformed before any wait
    } finally {
      await v.close();
    }
  });
});

describe('TokenClient.fetch after a 401', () => {
  let inst: TestInstance;
  let srv: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    inst = await createTestInstance({ prefix: newPrefix() });
    srv = await listen(inst.app);
  });
  afterAll(async () => {
    await srv.close();
    await inst.close();
  });

  it('throws invalid_client when the forced refresh is refused, instead of returning the 401', async () => {
    const admin = await createAdmin(inst.deps, inst.app);
    const { key, secret } = await createKey(inst.deps, admin.org, { scopes: ['read'] });
    const resource = await startStub((_req, res) =>
      sendJson(res, 401, { error: 'invalid_token', error_description: 'token has been revoked' }),
    );
    const c = new TokenClient({ orgId: admin.org.id, apiKey: key.id, apiSecret: secret, authUrl: srv.url });
    try {
      await c.getToken();
      await request(inst.app).post(`/v1/keys/${key.id}/revoke`).set('Authorization', `Bearer ${admin.token}`).expect(200);
      const err = await rejection(c.fetch(`${resource.url}/orders`));
      expect({ code: err.code, status: err.status }).toEqual({ code: 'invalid_client', status: 401 });
    } finally {
      c.close();
      await resource.close();
    }
  });

  it('still returns the resource 401 when the refresh succeeds and the resource refuses again', async () => {
    const admin = await createAdmin(inst.deps, inst.app);
    const { key, secret } = await createKey(inst.deps, admin.org, { scopes: ['read'] });
    const resource = await startStub((_req, res) => sendJson(res, 401, { error: 'invalid_token', error_description: 'no' }));
    const c = new TokenClient({ orgId: admin.org.id, apiKey: key.id, apiSecret: secret, authUrl: srv.url });
    try {
      expect((await c.fetch(`${resource.url}/orders`)).status).toBe(401);
    } finally {
      c.close();
      await resource.close();
    }
  });
});
