import { createTestInstance, listen, newPrefix, type TestInstance } from '../../test/support/app.js';
import { createKey, createOrg } from '../../test/support/fixtures.js';
import { ScopeAuthError, TokenClient, type TokenClientOptions } from '../src/index.js';
import { eventually, fakeClock, recordingFetch, sendJson, startStub, tokenBody } from './support/helpers.js';

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

const clients: TokenClient[] = [];
function client(options: TokenClientOptions): TokenClient {
  const c = new TokenClient(options);
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 };

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
    const c = client({ ...(await credentials(['read'])), authUrl: srv.url, scope: 'admin', fetch: rec.fetch, retry: fastRetry });
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
      retry: { ...fastRetry, maxAttempts: 2 },
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

describe('TokenClient retries (local stub server)', () => {
  it('retries 503 with backoff, then succeeds', async () => {
    const stub = await startStub((_req, res, n) =>
      n <= 2 ? sendJson(res, 503, { error: 'unavailable', error_description: 'down' }) : sendJson(res, 200, tokenBody('tok-3')),
    );
    try {
      // Full jitter: each wait is in [0, min(maxDelay, base · 2^(n-1))), so never 100 ms or more here
      // (retry.test.ts checks each ceiling). The clock stands still, so the total budget bounds each
      // wait: one of 100 ms or more would end the retries with the 503.
      const retry = { baseDelayMs: 50, maxDelayMs: 100, maxTotalMs: 99 };
      const c = client({ orgId: 'org_1', apiKey: 'key_1', apiSecret: 'sk', authUrl: stub.url, retry, clock: fakeClock() });
      expect(await c.getToken()).toBe('tok-3');
      expect(stub.hits).toHaveLength(3);
    } finally {
      await stub.close();
    }
  });

  it('gives up after maxAttempts with the last error', async () => {
    const stub = await startStub((_req, res) => sendJson(res, 500, { error: 'internal_error', error_description: 'boom' }));
    try {
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: { ...fastRetry, maxAttempts: 3 } });
      await expect(c.getToken()).rejects.toMatchObject({ code: 'internal_error', status: 500, description: 'boom' });
      expect(stub.hits).toHaveLength(3);
    } finally {
      await stub.close();
    }
  });

  it('retries a 503 after its Retry-After', async () => {
    const stub = await startStub((_req, res, n) =>
      n === 1
        ? sendJson(res, 503, { error: 'unavailable', error_description: 'restarting' }, { 'retry-after': '1' })
        : sendJson(res, 200, tokenBody('tok')),
    );
    try {
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: fastRetry });
      const started = Date.now();
      expect(await c.getToken()).toBe('tok');
      expect(Date.now() - started).toBeGreaterThanOrEqual(990);
      expect(stub.hits[1]! - stub.hits[0]!).toBeGreaterThanOrEqual(990);
      expect(stub.hits).toHaveLength(2);
    } finally {
      await stub.close();
    }
  });

  it('never retries a 429, and answers with its refusal until Retry-After has passed', async () => {
    const stub = await startStub((_req, res, n) =>
      n === 1
        ? sendJson(res, 429, { error: 'rate_limited', error_description: 'slow down' }, { 'retry-after': '2' })
        : sendJson(res, 200, tokenBody('tok')),
    );
    try {
      const clock = fakeClock();
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: fastRetry, clock });
      await expect(c.getToken()).rejects.toMatchObject({ code: 'rate_limited', status: 429, retryAfterSeconds: 2 });
      expect(stub.hits).toHaveLength(1);

      clock.advance(1_500);
      const err = await c.getToken().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScopeAuthError);
      expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterSeconds: 1, description: 'slow down' });
      expect(stub.hits).toHaveLength(1);

      clock.advance(500);
      expect(await c.getToken()).toBe('tok');
      expect(stub.hits).toHaveLength(2);
    } finally {
      await stub.close();
    }
  });

  it('keeps a still-valid token and does not refresh again before a 429\'s Retry-After', async () => {
    const stub = await startStub((_req, res, n) => {
      if (n === 2) sendJson(res, 429, { error: 'rate_limited', error_description: 'slow down' }, { 'retry-after': '5' });
      else sendJson(res, 200, tokenBody(`tok${n}`, 60));
    });
    try {
      const clock = fakeClock();
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, tokenRefreshBuffer: 10, retry: fastRetry, clock });
      expect(await c.getToken()).toBe('tok1');
      clock.advance(51_000);
      expect(await c.getToken()).toBe('tok1');
      await eventually(() => stub.hits.length === 2, 5_000, 'the refresh to be refused');
      clock.advance(4_999);
      expect(await c.getToken()).toBe('tok1');
      expect(stub.hits).toHaveLength(2);
      clock.advance(1);
      expect(await c.getToken()).toBe('tok3');
      expect(stub.hits).toHaveLength(3);
    } finally {
      await stub.close();
    }
  });

  it('fails at once when Retry-After is beyond the total time budget', async () => {
    const stub = await startStub((_req, res) =>
      sendJson(res, 503, { error: 'unavailable', error_description: 'maintenance' }, { 'retry-after': '30' }),
    );
    try {
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: { maxTotalMs: 5_000 } });
      await expect(c.getToken()).rejects.toMatchObject({ code: 'unavailable', status: 503, retryAfterSeconds: 30 });
      expect(stub.hits).toHaveLength(1);
    } finally {
      await stub.close();
    }
  });

  it('never retries a 401 and surfaces invalid_client', async () => {
    const stub = await startStub((_req, res) =>
      sendJson(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' }),
    );
    try {
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: fastRetry });
      const err = await c.getToken().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScopeAuthError);
      expect(err).toMatchObject({ code: 'invalid_client', status: 401, description: 'client authentication failed' });
      expect(stub.hits).toHaveLength(1);
    } finally {
      await stub.close();
    }
  });

  it('retries network errors', async () => {
    const stub = await startStub((req) => req.socket.destroy());
    try {
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: { ...fastRetry, maxAttempts: 3 } });
      await expect(c.getToken()).rejects.toMatchObject({ code: 'network_error' });
      expect(stub.hits).toHaveLength(3);
    } finally {
      await stub.close();
    }
  });

  it('keeps the token warm in the background and stops on close', async () => {
    let n = 0;
    // Lifetime 200 ms, default buffer clamped to half of it: the timer refreshes 100 ms after each exchange.
    const stub = await startStub((_req, res) => sendJson(res, 200, tokenBody(`tok-${++n}`, 0.2)));
    const witnessStub = await startStub((_req, res) => sendJson(res, 200, tokenBody('witness', 0.2)));
    try {
      // The clock stands still, so getToken never finds the token due: only the timer refreshes it.
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, backgroundRefresh: true, clock: fakeClock() });
      await eventually(() => stub.hits.length === 1, 5_000, 'the prefetch');
      await eventually(async () => (await c.getToken()) === 'tok-1', 5_000, 'the prefetched token');
      await eventually(async () => (await c.getToken()) === 'tok-2', 5_000, 'the background refresh');
      expect(stub.hits).toHaveLength(2);
      c.close();
      // A client started after the close refreshes twice on the same schedule: by then the closed
      // client's next refresh, due 100 ms after its last, would have come.
      const witness = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: witnessStub.url, backgroundRefresh: true, clock: fakeClock() });
      await eventually(() => witnessStub.hits.length === 3, 5_000, 'two refreshes of a client started after the close');
      witness.close();
      expect(stub.hits).toHaveLength(2);
      await expect(c.getToken()).rejects.toThrow(/closed/);
    } finally {
      await witnessStub.close();
      await stub.close();
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
