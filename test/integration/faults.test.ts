import { redisOf } from '../support/redis.js';
import { appendFileSync } from 'node:fs';
import request from 'supertest';
import { createTestInstance, newPrefix, waitFor, type TestInstance } from '../support/app.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/env.js';
import { createAdmin, createKey, createOrg, exchange } from '../support/fixtures.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import type { Express } from 'express';

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });
const creds = (k: Awaited<ReturnType<typeof createKey>>) => ({ org_id: k.key.orgId, key_id: k.key.id, secret: k.secret });
const readyz = (redis: 'ok' | 'down') => ({
  status: redis === 'ok' ? 'ok' : 'degraded',
  database: 'postgres',
  redis: 'redis',
  checks: { postgres: 'ok', redis, pubsub: redis },
});

/** A token of a revoked key is inactive, whichever instance is asked. */
async function expectInactive(app: Express, adminToken: string, token: string): Promise<void> {
  await request(app).post('/oauth/introspect').set(auth(adminToken)).type('form').send({ token }).expect(200, { active: false });
}

type Figures = { fault: string; sent: number; failed: number; revokedAccepted: number };
/** Fault figures for the record (set SCOPE_AUTH_FIGURES=path to collect them). */
function report(f: Figures): void {
  if (process.env.SCOPE_AUTH_FIGURES) appendFileSync(process.env.SCOPE_AUTH_FIGURES, `${JSON.stringify(f)}\n`);
}

// Two instances of one deployment whose Redis is behind a proxy the test can cut or freeze; each
// fault ends with Redis back and both instances trusting it again.
describe('Redis behind a proxy', () => {
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

  describe('Redis down', () => {
    it('keeps exchanging, keeps revoked keys out, takes revocations durably, and recovers by itself', async () => {
      const { org, token: adminToken } = await createAdmin(a.deps, a.app);
      const good = await createKey(a.deps, org);
      const doomed = await createKey(a.deps, org);
      const revokedBefore = await createKey(a.deps, org);
      await request(a.app).post(`/v1/keys/${revokedBefore.key.id}/revoke`).set(auth(adminToken)).expect(200);
      const doomedToken = await exchange(b.app, creds(doomed));

      await proxy.cut();
      await waitFor(() => !a.deps.bus.isLive() && !b.deps.bus.isLive(), 5_000, 'instances to notice Redis is gone');

      const fig: Figures = { fault: 'redis-down', sent: 0, failed: 0, revokedAccepted: 0 };
      const attempt = async (inst: TestInstance, body: object, expectOk: boolean) => {
        fig.sent++;
        const res = await request(inst.app).post('/v1/token').send(body);
        if (expectOk && res.status !== 200) fig.failed++;
        if (!expectOk && res.status === 200) fig.revokedAccepted++;
        return res;
      };
      for (let i = 0; i < 50; i++) {
        await attempt(i % 2 ? a : b, creds(good), true);
        await attempt(i % 2 ? b : a, creds(revokedBefore), false);
      }

      // A revoke still succeeds and is durable; every instance refuses the key at once.
      await request(a.app).post(`/v1/keys/${doomed.key.id}/revoke`).set(auth(adminToken)).expect(200);
      for (const inst of [a, b]) {
        const res = await attempt(inst, creds(doomed), false);
        expect(res.status).toBe(401);
      }
      // Tokens it issued are inactive everywhere (answered from Postgres).
      await expectInactive(b.app, adminToken, doomedToken);
      const feed = await request(b.app).get('/v1/revocations').expect(200);
      expect(feed.body.revocations.map((e: { key_id: string }) => e.key_id)).toContain(doomed.key.id);

      await request(a.app).get('/readyz').expect(200, readyz('down'));

      expect(fig).toEqual({ fault: 'redis-down', sent: 102, failed: 0, revokedAccepted: 0 });
      report(fig);

      // Redis returns: no restart, the list is brought up to date and pub/sub resumes.
      await proxy.restore();
      await waitFor(() => a.deps.bus.isLive() && b.deps.bus.isLive(), 10_000, 'instances to resubscribe');
      const raw = await redisOf(a.deps).hget(a.deps.redisKeys.revocationEntries, `key:${doomed.key.id}`);
      expect(raw).not.toBeNull();
      await request(a.app).get('/readyz').expect(200, readyz('ok'));
      await request(b.app).post('/v1/token').send(creds(doomed)).expect(401);
      await request(b.app).post('/v1/token').send(creds(good)).expect(200);
      // And a revocation now travels by pub/sub again: B refuses at once.
      await request(b.app).post('/v1/token').send(creds(good)).expect(200);
      await request(a.app).post(`/v1/keys/${good.key.id}/revoke`).set(auth(adminToken)).expect(200);
      await request(b.app).post('/v1/token').send(creds(good)).expect(401);
    });
  });

  // Redis stopped rather than dead (SIGSTOP, a frozen VM, a silent partition): connections stay open
  // and nothing answers. It must be treated like a dead Redis, not waited on.
  describe('Redis hangs', () => {
    it('is noticed, exchanges and revokes go on, the revoked key and its tokens are refused everywhere, and it recovers', async () => {
      const { org, token: admin } = await createAdmin(a.deps, a.app);
      const good = await createKey(a.deps, org);
      const doomed = await createKey(a.deps, org);
      // B holds the doomed key in its cache and has issued a token for it.
      const doomedToken = await exchange(b.app, creds(doomed));

      proxy.pause();
      await waitFor(() => !a.deps.bus.isLive() && !b.deps.bus.isLive(), 10_000, 'instances to notice the hung Redis');
      await request(a.app).get('/readyz').expect(200, readyz('down'));

      for (const inst of [a, b]) await request(inst.app).post('/v1/token').send(creds(good)).expect(200);
      await request(a.app).post(`/v1/keys/${doomed.key.id}/revoke`).set(auth(admin)).expect(200);
      for (const inst of [a, b]) await request(inst.app).post('/v1/token').send(creds(doomed)).expect(401);
      await expectInactive(b.app, admin, doomedToken);

      proxy.resume();
      await waitFor(() => a.deps.bus.isLive() && b.deps.bus.isLive(), 20_000, 'instances to trust Redis again');
      await request(a.app).get('/readyz').expect(200, readyz('ok'));
      // What happened during the hang reached the shared list.
      await waitFor(
        async () => (await redisOf(a.deps).hget(a.deps.redisKeys.revocationEntries, `key:${doomed.key.id}`)) !== null,
        10_000,
        'the revocation to reach Redis',
      );
      expect(b.deps.revocations.isKeyRevoked(doomed.key.id)).toBe(true);
    });
  });
});

describe('Postgres down', () => {
  let proxy: TcpProxy;
  let inst: TestInstance;
  beforeAll(async () => {
    proxy = await startTcpProxy(TEST_DATABASE_URL);
    inst = await createTestInstance({ databaseUrl: proxy.url });
  });
  afterAll(async () => {
    await inst.close();
    await proxy.close();
  });

  it('answers 503 unavailable with Retry-After where Postgres is needed, never crashes, and resumes', async () => {
    const { org, token: adminToken } = await createAdmin(inst.deps, inst.app);
    const warm = await createKey(inst.deps, org);
    const cold = await createKey(inst.deps, org);
    const revoked = await createKey(inst.deps, org);
    await request(inst.app).post(`/v1/keys/${revoked.key.id}/revoke`).set(auth(adminToken)).expect(200);
    await exchange(inst.app, creds(warm)); // cached
    await request(inst.app).post('/v1/token').send(creds(revoked)).expect(401); // cached, as revoked
    await inst.deps.audit.flush();

    await proxy.cut();
    let refusedDuringOutage = 0;
    const fig: Figures = { fault: 'postgres-down', sent: 0, failed: 0, revokedAccepted: 0 };
    for (let i = 0; i < 30; i++) {
      fig.sent += 3;
      // A key already in memory needs no database: it keeps working.
      const w = await request(inst.app).post('/v1/token').send(creds(warm));
      if (w.status !== 200) fig.failed++;
      // A key that must be read gets a clean 503, never a 500.
      const c = await request(inst.app).post('/v1/token').send(creds(cold));
      expect(c.status).toBe(503);
      expect(c.body).toEqual({ error: 'unavailable', error_description: 'service temporarily unavailable, retry later' });
      expect(c.headers['retry-after']).toBe('5');
      const r = await request(inst.app).post('/v1/token').send(creds(revoked));
      if (r.status === 200) fig.revokedAccepted++;
      if (r.status === 401) refusedDuringOutage++;
      expect([401, 503]).toContain(r.status);
    }
    await request(inst.app).get('/v1/keys').set(auth(adminToken)).expect(503);
    await request(inst.app).post(`/v1/keys/${cold.key.id}/revoke`).set(auth(adminToken)).expect(503);
    const ready = await request(inst.app).get('/readyz').expect(503);
    expect(ready.body.checks.postgres).toBe('down');
    expect(fig).toEqual({ fault: 'postgres-down', sent: 90, failed: 0, revokedAccepted: 0 });
    report(fig);

    await proxy.restore();
    await waitFor(async () => (await request(inst.app).get('/readyz')).status === 200, 10_000, 'Postgres to be back');
    await request(inst.app).post('/v1/token').send(creds(cold)).expect(200);
    await request(inst.app).get('/v1/keys').set(auth(adminToken)).expect(200);
    // Audit records of refusals during the outage were kept and written once Postgres was back.
    expect(refusedDuringOutage).toBe(30);
    await inst.deps.audit.flush();
    const rows = await inst.deps.db('audit_events').where({ action: 'exchange.rejected', target_id: revoked.key.id });
    expect(rows).toHaveLength(31);
  });
});

describe('Postgres down, then a key is needed that nobody has cached', () => {
  it('never lets a revoked key in', async () => {
    const proxy = await startTcpProxy(TEST_DATABASE_URL);
    const inst = await createTestInstance({ databaseUrl: proxy.url });
    try {
      const org = await createOrg(inst.deps);
      const k = await createKey(inst.deps, org);
      await inst.deps.db('api_keys').where({ id: k.key.id }).update({ revoked_at: new Date() });
      await proxy.cut();
      const res = await request(inst.app).post('/v1/token').send(creds(k));
      expect(res.status).toBe(503);
    } finally {
      await proxy.restore();
      await inst.close();
      await proxy.close();
    }
  });
});
