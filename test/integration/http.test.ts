import request from 'supertest';
import { createTestInstance, LogCapture, type TestInstance } from '../support/app.js';
import { createAdmin, createKey, exchange } from '../support/fixtures.js';

let inst: TestInstance;
const logs = new LogCapture();
beforeAll(async () => {
  inst = await createTestInstance({ logs });
});
afterAll(async () => inst.close());

describe('HTTP hygiene', () => {
  it('sets helmet headers and hides X-Powered-By', async () => {
    const res = await request(inst.app).get('/healthz').expect(200, { status: 'ok' });
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toContain('max-age=');
    expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
    const kept = await request(inst.app).get('/healthz').set('X-Request-Id', 'req-123.abc');
    expect(kept.headers['x-request-id']).toBe('req-123.abc');
    const replaced = await request(inst.app).get('/healthz').set('X-Request-Id', 'bad id\twith spaces');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const fresh = await request(inst.app).get('/healthz');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with the error shape', async () => {
    await request(inst.app).get('/nope').expect(404, { error: 'not_found', error_description: 'no route for GET /nope' });
  });

  it('reports readiness of Postgres, Redis and pub/sub', async () => {
    await request(inst.app)
      .get('/readyz')
      .expect(200, { status: 'ok', database: 'postgres', redis: 'redis', checks: { postgres: 'ok', redis: 'ok', pubsub: 'ok' } });
  });

  it('turns a malformed percent-encoding in the path into 4xx, never 500', async () => {
    const res = await request(inst.app).get('/v1/keys/%E0%A4%A');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

type Stack = Array<{ route?: { path: unknown; stack: unknown[] } }>;
const stackOf = (app: TestInstance['app']) => (app as unknown as { router: { stack: Stack } }).router.stack;

describe('the hot path', () => {
  // docs/PERFORMANCE.md: every express layer in front of the exchange costs time per request.
  it.each([
    ['on', 'true'],
    ['off', 'false'],
  ])('serves the token exchange from the first route, one handler in one layer, with rate limits %s', async (_label, enabled) => {
    const other = enabled === 'true' ? inst : await createTestInstance({ env: { RATE_LIMIT_ENABLED: enabled } });
    try {
      const stack = stackOf(other.app);
      const first = stack.findIndex((layer) => layer.route !== undefined);
      // Request ID with helmet, the JSON parser and the form parser: nothing else comes first.
      expect(first).toBe(3);
      expect(stack[first]!.route).toEqual({ path: ['/v1/token', '/oauth/token'], stack: [expect.anything()], methods: { post: true } });
    } finally {
      if (other !== inst) await other.close();
    }
  });
});

describe('logs', () => {
  it('never contain a secret, a token or an Authorization header', async () => {
    const { org, key, secret, token } = await createAdmin(inst.deps, inst.app);
    const other = await createKey(inst.deps, org);
    await request(inst.app)
      .post('/oauth/token')
      .set('Authorization', `Basic ${Buffer.from(`${other.key.id}:${other.secret}`).toString('base64')}`)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    await request(inst.app)
      .post('/v1/token')
      .send({ org_id: key.orgId, key_id: key.id, secret: `${secret}x` })
      .expect(401);
    await request(inst.app).post(`/v1/token?client_secret=${secret}`).send({}).expect(400);
    await request(inst.app).get('/v1/keys').set('Authorization', `Bearer ${token}`).expect(200);
    await request(inst.app).get('/v1/keys').set('Authorization', `Bearer ${token}x`).expect(401);
    const created = await request(inst.app).post('/v1/keys').set('Authorization', `Bearer ${token}`).send({ name: 'n' }).expect(201);
    const t2 = await exchange(inst.app, { org_id: created.body.org_id, key_id: created.body.id, secret: created.body.secret });
    await request(inst.app).post('/oauth/introspect').set('Authorization', `Bearer ${token}`).type('form').send({ token: t2 }).expect(200);
    await request(inst.app).post('/oauth/revoke').set('Authorization', `Bearer ${token}`).type('form').send({ token: t2 }).expect(200);
    await inst.deps.audit.flush();

    const text = logs.text();
    expect(logs.lines.length).toBeGreaterThan(10);
    for (const s of [secret, other.secret, created.body.secret, token, t2, token.split('.')[2]!]) expect(text).not.toContain(s);
    expect(text).not.toMatch(/sk_(live|test)_[0-9A-Za-z]{20,}/);
    expect(text).not.toMatch(/Bearer ey/);
    expect(text).not.toMatch(/Basic [A-Za-z0-9+/=]{10,}/);
    expect(text).toContain('request.completed');
    // The real reason of a refused exchange is logged (without the secret) for operators.
    expect(text).toContain('"reason":"malformed_secret"');
  });
});
