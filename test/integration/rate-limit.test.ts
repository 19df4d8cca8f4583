import { redisOf } from '../support/redis.js';
import request from 'supertest';
import { createTestInstance, newPrefix, waitFor, type TestInstance } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { createAdmin, createKey, createOrg } from '../support/fixtures.js';
import { monitorRedis } from '../support/redis-monitor.js';

const LIMITS = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_TOKEN_PER_IP: '6',
  RATE_LIMIT_TOKEN_PER_KEY: '4',
  RATE_LIMIT_FAILED_PER_IP_KEY: '3',
  RATE_LIMIT_MANAGEMENT_PER_ORG: '5',
  // Client addresses come from X-Forwarded-For in these tests, as behind a load balancer.
  TRUST_PROXY: 'true',
};

describe('rate limits shared through Redis', () => {
  const prefix = newPrefix();
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(async () => {
    a = await createTestInstance({ prefix, env: LIMITS });
    b = await createTestInstance({ prefix, env: LIMITS });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  const from = (inst: TestInstance, ip: string) => request(inst.app).post('/v1/token').set('X-Forwarded-For', ip);

  it('limits one client IP across instances, with RateLimit headers and Retry-After', async () => {
    const org = await createOrg(a.deps);
    const keys = await Promise.all(Array.from({ length: 6 }, () => createKey(a.deps, org)));
    for (let i = 0; i < 6; i++) {
      const res = await from(i % 2 ? b : a, '203.0.113.10').send({
        org_id: keys[i]!.key.orgId,
        key_id: keys[i]!.key.id,
        secret: keys[i]!.secret,
      });
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-policy']).toBe('"token-ip"; q=6; w=60, "token-key"; q=4; w=60, "failed-ip-key"; q=3; w=60');
      expect(res.headers['ratelimit']).toMatch(
        new RegExp(`^"token-ip"; r=${5 - i}; t=\\d+, "token-key"; r=3; t=\\d+, "failed-ip-key"; r=3; t=\\d+$`),
      );
    }
    const limited = await from(a, '203.0.113.10').send({ org_id: keys[0]!.key.orgId, key_id: keys[0]!.key.id, secret: keys[0]!.secret });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: 'rate_limited', error_description: 'too many requests, retry later' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit']).toMatch(/^"token-ip"; r=0; t=\d+$/);
    // Another address is unaffected.
    await from(b, '203.0.113.11').send({ org_id: keys[1]!.key.orgId, key_id: keys[1]!.key.id, secret: keys[1]!.secret }).expect(200);
  });

  it('limits exchanges per key ID, counting only successful ones', async () => {
    const org = await createOrg(a.deps);
    const { key, secret } = await createKey(a.deps, org);
    const wrong = (await createKey(a.deps, org)).secret;
    // Failures from many addresses do not spend the key's budget...
    for (let i = 0; i < 5; i++) await from(a, `198.51.100.${i}`).send({ org_id: key.orgId, key_id: key.id, secret: wrong }).expect(401);
    // ...its own successful exchanges do, wherever they come from.
    for (let i = 0; i < 4; i++)
      await from(i % 2 ? a : b, `192.0.2.${i}`)
        .send({ org_id: key.orgId, key_id: key.id, secret })
        .expect(200);
    const res = await from(a, '192.0.2.99').send({ org_id: key.orgId, key_id: key.id, secret });
    expect(res.status).toBe(429);
  });

  it('slows repeated wrong secrets from one address without locking the owner out elsewhere', async () => {
    const org = await createOrg(a.deps);
    const { key, secret } = await createKey(a.deps, org);
    const wrong = (await createKey(a.deps, org)).secret;
    for (let i = 0; i < 3; i++)
      await from(i % 2 ? a : b, '203.0.113.66')
        .send({ org_id: key.orgId, key_id: key.id, secret: wrong })
        .expect(401);
    // That pair is now limited, even with the right secret...
    await from(a, '203.0.113.66').send({ org_id: key.orgId, key_id: key.id, secret }).expect(429);
    await from(b, '203.0.113.66')
      .set('Authorization', `Basic ${Buffer.from(`${key.id}:${wrong}`).toString('base64')}`)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(429);
    // ...while the owner, from its own address, is not.
    await from(b, '10.9.8.7').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
    // And the attacker's address can still use another key.
    const other = await createKey(a.deps, org);
    await from(a, '203.0.113.66').send({ org_id: other.key.orgId, key_id: other.key.id, secret: other.secret }).expect(200);
  });

  it('costs one Redis call per successful exchange, and one more after a failed one', async () => {
    const org = await createOrg(a.deps);
    const { key, secret } = await createKey(a.deps, org);
    const wrong = (await createKey(a.deps, org)).secret;
    const calls: string[][] = [];
    // Calls from clients, not the commands a script runs inside Redis (source "lua").
    const stop = await monitorRedis(TEST_REDIS_URL, (args, source) => {
      if (source !== 'lua' && args.some((arg) => arg.startsWith(`{${prefix}}rl:`) || arg === `${prefix}sentinel`)) calls.push(args);
    });
    // Everything instance A sends for an exchange reaches Redis before a command the test sends after the answer.
    const callsFor = async (send: () => Promise<unknown>) => {
      calls.length = 0;
      await send();
      await redisOf(a.deps).get(`${prefix}sentinel`);
      await waitFor(() => calls.some((c) => c.includes(`${prefix}sentinel`)), 5_000, 'sentinel seen by MONITOR');
      return calls.filter((c) => !c.includes(`${prefix}sentinel`));
    };
    try {
      const ok = await callsFor(() => from(a, '192.0.2.200').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200));
      expect(ok).toHaveLength(1);
      expect(ok[0]![0]!.toLowerCase()).toMatch(/^eval(sha)?$/);
      const failed = await callsFor(() => from(a, '192.0.2.200').send({ org_id: key.orgId, key_id: key.id, secret: wrong }).expect(401));
      expect(failed).toHaveLength(2);
    } finally {
      stop();
    }
    // The success spent the key's budget once; the failure gave its hit back and counted against the pair.
    expect(await redisOf(a.deps).get(`{${prefix}}rl:token-key:${key.id}`)).toBe('1');
    expect(await redisOf(a.deps).get(`{${prefix}}rl:failed-ip-key:192.0.2.200|${key.id}`)).toBe('1');
    expect(await redisOf(a.deps).get(`{${prefix}}rl:token-ip:192.0.2.200`)).toBe('2');
  });

  it('keeps counting after Redis forgets its scripts (restart, SCRIPT FLUSH)', async () => {
    const org = await createOrg(a.deps);
    const { key, secret } = await createKey(a.deps, org);
    await from(a, '192.0.2.201').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
    await redisOf(a.deps).script('FLUSH');
    await from(a, '192.0.2.201').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
    expect(await redisOf(a.deps).get(`{${prefix}}rl:token-key:${key.id}`)).toBe('2');
  });

  it('limits the management API per organisation', async () => {
    const { token } = await createAdmin(a.deps, a.app);
    for (let i = 0; i < 5; i++)
      await request(i % 2 ? a.app : b.app)
        .get('/v1/keys')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
    const res = await request(a.app).get('/v1/keys').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
    // Another organisation has its own budget.
    const other = await createAdmin(a.deps, a.app);
    await request(a.app).get('/v1/audit-events').set('Authorization', `Bearer ${other.token}`).expect(200);
  });
});
