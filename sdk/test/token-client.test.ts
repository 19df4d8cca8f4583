import { createTestInstance, listen, newPrefix, type TestInstance } from '../../test/support/app.js';
import { createKey, createOrg } from '../../test/support/fixtures.js';
import { ScopeAuthError, TokenClient } from '../src/index.js';
import { FAST_RETRY, eventually, fakeClock, recordingFetch, sendJson, startStub, tokenClients } from './support/helpers.js';

let inst: TestInstance;
let srv: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  inst = await createTestInstance({ prefix: newPrefix(), env: { TOKEN_TTL_SECONDS: '60' } });
  srv = await listen(inst.app);
});
afterAll(async () => {
  await srv.close();
  await inst.close();
});

async function credentials(scopes = ['read', 'write']) {
  const org = await createOrg(inst.deps);
  const { key, secret } = await createKey(inst.deps, org, { scopes });
  return { orgId: org.id, apiKey: key.id, apiSecret: secret };
}

const client = tokenClients();

describe('TokenClient against the real service', () => {
  it('caches the token and refreshes exactly when the buffer says', async () => {
    const clock = fakeClock();
    const rec = recordingFetch();
    const c = client({ ...(await credentials()), authUrl: srv.url, tokenRefreshBuffer: 10, clock, fetch: rec.fetch });

    const first = await c.getToken();
    expect(rec.exchanges()).toBe(1);
    clock.advance(49_000);
    expect(await c.getToken()).toBe(first);
    expect(rec.exchanges()).toBe(1);
    clock.advance(999);
    expect(await c.getToken()).toBe(first);
    expect(rec.exchanges()).toBe(1);
    clock.advance(1);
    const second = await c.getToken();
    expect(rec.exchanges()).toBe(2);
    expect(second).not.toBe(first);
    expect(await c.getToken()).toBe(second);
    expect(rec.exchanges()).toBe(2);
  });

  it('honours a buffer shorter than the lifetime exactly, even past half of it', async () => {
    const clock = fakeClock();
    const rec = recordingFetch();
    const c = client({ ...(await credentials()), authUrl: srv.url, tokenRefreshBuffer: 40, clock, fetch: rec.fetch });
    await c.getToken();
    clock.advance(19_999);
    await c.getToken();
    expect(rec.exchanges()).toBe(1);
    clock.advance(1);
    await c.getToken();
    expect(rec.exchanges()).toBe(2);
  });

  it('refreshes at half the lifetime when the buffer is as long as the lifetime or longer', async () => {
    const clock = fakeClock();
    const rec = recordingFetch();
    const c = client({ ...(await credentials()), authUrl: srv.url, tokenRefreshBuffer: 600, clock, fetch: rec.fetch });
    await c.getToken();
    for (let i = 0; i < 10; i++) await c.getToken();
    clock.advance(29_999);
    await c.getToken();
    expect(rec.exchanges()).toBe(1);
    clock.advance(1);
    await c.getToken();
    expect(rec.exchanges()).toBe(2);
  });

  it('shares one exchange between 100 concurrent callers, at start and at refresh', async () => {
    const clock = fakeClock();
    const rec = recordingFetch();
    const c = client({ ...(await credentials()), authUrl: srv.url, tokenRefreshBuffer: 10, clock, fetch: rec.fetch });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => c.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(rec.exchanges()).toBe(1);

    clock.advance(55_000);
    const refreshed = await Promise.all(Array.from({ length: 100 }, () => c.getToken()));
    expect(rec.exchanges()).toBe(2);
    expect(new Set(refreshed).size).toBe(1);
    expect(refreshed[0]).not.toBe(tokens[0]);
  });

  it('asks for the configured scope', async () => {
    const c = client({ ...(await credentials(['read', 'write'])), authUrl: srv.url, scope: ['write'] });
    const payload = JSON.parse(Buffer.from((await c.getToken()).split('.')[1]!, 'base64url').toString()) as { scope: string };
    expect(payload.scope).toBe('write');
  });

  it('surfaces invalid_scope as a typed error without retrying', async () => {
    const rec = recordingFetch();
    const c = client({ ...(await credentials(['read'])), authUrl: srv.url, scope: 'admin', fetch: rec.fetch, retry: FAST_RETRY });
    const err = await c.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScopeAuthError);
    expect(err).toMatchObject({ code: 'invalid_scope', status: 400, description: 'scope "admin" is not granted to this key' });
    expect(rec.exchanges()).toBe(1);
  });

  it('keeps serving a still-valid token while the service is unreachable, then fails once it expires', async () => {
    const own = await listen(inst.app);
    const clock = fakeClock();
    const rec = recordingFetch();
    const c = client({
      ...(await credentials()),
      authUrl: own.url,
      tokenRefreshBuffer: 10,
      clock,
      fetch: rec.fetch,
      retry: { ...FAST_RETRY, maxAttempts: 2 },
    });
    const token = await c.getToken();
    await own.close();

    clock.advance(55_000);
    expect(await c.getToken()).toBe(token);
    await eventually(() => rec.exchanges() === 3, 5_000, 'the failed refresh to finish its attempts');
    expect(await c.getToken()).toBe(token);

    clock.advance(5_000);
    const err = await c.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScopeAuthError);
    expect((err as ScopeAuthError).code).toBe('network_error');
  });

  it('reads its settings from the environment and names a missing variable', async () => {
    const creds = await credentials();
    const saved = { ...process.env };
    try {
      process.env.SCOPE_ORG_ID = creds.orgId;
      process.env.SCOPE_API_KEY = creds.apiKey;
      process.env.SCOPE_AUTH_API_URL = srv.url;
      delete process.env.SCOPE_API_SECRET;
      expect(() => new TokenClient()).toThrow(/SCOPE_API_SECRET/);
      process.env.SCOPE_API_SECRET = creds.apiSecret;
      const c = client({});
      expect((await c.getToken()).split('.')).toHaveLength(3);
    } finally {
      process.env = saved;
    }
  });
});

describe('TokenClient.fetch', () => {
  it('adds the bearer token and refreshes once on a 401', async () => {
    let rejected: string | undefined;
    const resource = await startStub((req, res) => {
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      rejected ??= token;
      if (token === rejected) sendJson(res, 401, { error: 'invalid_token' });
      else sendJson(res, 200, { ok: true, token });
    });
    try {
      const rec = recordingFetch();
      const c = client({ ...(await credentials()), authUrl: srv.url, fetch: rec.fetch });
      const first = await c.getToken();
      const res = await c.fetch(`${resource.url}/thing`, { method: 'POST', body: 'payload', headers: { 'x-custom': '1' } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { token: string };
      expect(body.token).not.toBe(first);
      expect(resource.hits).toHaveLength(2);
      expect(rec.exchanges()).toBe(2);
    } finally {
      await resource.close();
    }
  });

  it('retries only once when the resource keeps answering 401', async () => {
    const resource = await startStub((_req, res) => sendJson(res, 401, { error: 'invalid_token' }));
    try {
      const rec = recordingFetch();
      const c = client({ ...(await credentials()), authUrl: srv.url, fetch: rec.fetch });
      const res = await c.fetch(resource.url);
      expect(res.status).toBe(401);
      expect(resource.hits).toHaveLength(2);
      expect(rec.exchanges()).toBe(2);
    } finally {
      await resource.close();
    }
  });
});
