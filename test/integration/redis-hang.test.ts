import { redisOf } from '../support/redis.js';
import request from 'supertest';
import { createTestInstance, newPrefix, waitFor, type TestInstance } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { createAdmin, createKey, exchange } from '../support/fixtures.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });

// Redis stopped rather than dead (SIGSTOP, a frozen VM, a silent partition): connections stay open
// and nothing answers. It must be treated like a dead Redis, not waited on.
describe('Redis hangs', () => {
  let proxy: TcpProxy;
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(async () => {
    proxy = await startTcpProxy(TEST_REDIS_URL);
    const prefix = newPrefix();
    const env = { REDIS_URL: proxy.url, RATE_LIMIT_ENABLED: 'true' };
    a = await createTestInstance({ prefix, env });
    b = await createTestInstance({ prefix, env });
  });
  afterAll(async () => {
    proxy.resume();
    await a.close();
    await b.close();
    await proxy.close();
  });

  it('is noticed, exchanges and revokes go on, the revoked key and its tokens are refused everywhere, and it recovers', async () => {
    const { org, token: admin } = await createAdmin(a.deps, a.app);
    const good = await createKey(a.deps, org);
    const doomed = await createKey(a.deps, org);
    const creds = (k: typeof good) => ({ org_id: k.key.orgId, key_id: k.key.id, secret: k.secret });
    // B holds the doomed key in its cache and has issued a token for it.
    const doomedToken = await exchange(b.app, creds(doomed));

    proxy.pause();
    await waitFor(() => !a.deps.bus.isLive() && !b.deps.bus.isLive(), 10_000, 'instances to notice the hung Redis');
    const ready = await request(a.app).get('/readyz').expect(200);
    expect(ready.body).toEqual({ status: 'degraded', database: 'postgres', redis: 'redis', checks: { postgres: 'ok', redis: 'down', pubsub: 'down' } });

    for (const inst of [a, b]) await request(inst.app).post('/v1/token').send(creds(good)).expect(200);
    await request(a.app).post(`/v1/keys/${doomed.key.id}/revoke`).set(auth(admin)).expect(200);
    for (const inst of [a, b]) await request(inst.app).post('/v1/token').send(creds(doomed)).expect(401);
    await request(b.app).post('/oauth/introspect').set(auth(admin)).type('form').send({ token: doomedToken }).expect(200, { active: false });

    proxy.resume();
    await waitFor(() => a.deps.bus.isLive() && b.deps.bus.isLive(), 20_000, 'instances to trust Redis again');
    await request(a.app).get('/readyz').expect(200, { status: 'ok', database: 'postgres', redis: 'redis', checks: { postgres: 'ok', redis: 'ok', pubsub: 'ok' } });
    // What happened during the hang reached the shared list.
    await waitFor(async () => (await redisOf(a.deps).hget(a.deps.redisKeys.revocationEntries, `key:${doomed.key.id}`)) !== null, 10_000, 'the revocation to reach Redis');
    expect(b.deps.revocations.isKeyRevoked(doomed.key.id)).toBe(true);
  });
});
