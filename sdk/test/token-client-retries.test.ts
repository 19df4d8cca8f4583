// The TokenClient's retries and back-off against a local stub server (no service needed).
import { ScopeAuthError } from '../src/index.js';
import { FAST_RETRY, eventually, fakeClock, sendJson, startStub, tokenClients, tokenBody } from './support/helpers.js';

const client = tokenClients();

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
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: { ...FAST_RETRY, maxAttempts: 3 } });
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
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: FAST_RETRY });
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
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: FAST_RETRY, clock });
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

  it("keeps a still-valid token and does not refresh again before a 429's Retry-After", async () => {
    const stub = await startStub((_req, res, n) => {
      if (n === 2) sendJson(res, 429, { error: 'rate_limited', error_description: 'slow down' }, { 'retry-after': '5' });
      else sendJson(res, 200, tokenBody(`tok${n}`, 60));
    });
    try {
      const clock = fakeClock();
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, tokenRefreshBuffer: 10, retry: FAST_RETRY, clock });
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
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: FAST_RETRY });
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
      const c = client({ orgId: 'o', apiKey: 'k', apiSecret: 's', authUrl: stub.url, retry: { ...FAST_RETRY, maxAttempts: 3 } });
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
      const witness = client({
        orgId: 'o',
        apiKey: 'k',
        apiSecret: 's',
        authUrl: witnessStub.url,
        backgroundRefresh: true,
        clock: fakeClock(),
      });
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
