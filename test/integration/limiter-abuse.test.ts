import { redisOf } from '../support/redis.js';
import net from 'node:net';
import request from 'supertest';
import { createTestInstance, listen, LogCapture, newPrefix, waitFor, type TestInstance } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { createKey, createOrg } from '../support/fixtures.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

// Issue 16, points 3, 10 and 13: knowing a key ID (every token's `sub`) must never be enough to hurt its owner.
const PER_KEY = 5;
const LIMITS = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_TOKEN_PER_IP: '100',
  RATE_LIMIT_TOKEN_PER_KEY: String(PER_KEY),
  RATE_LIMIT_FAILED_PER_IP_KEY: '10',
  // Client addresses come from X-Forwarded-For, as behind a load balancer.
  TRUST_PROXY: 'true',
};
const AUTH_FAILED = { error: 'invalid_client', error_description: 'client authentication failed' };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

const logs = new LogCapture();
const prefix = newPrefix();
let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance({ prefix, env: LIMITS, logs });
});
afterAll(async () => inst.close());

let nextIp = 1;
/** A fresh client address per call, so the per-address limits never get in the way. */
const post = (path: string) =>
  request(inst.app)
    .post(path)
    .set('X-Forwarded-For', `198.18.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`);

async function twoKeys() {
  const org = await createOrg(inst.deps);
  return { attacker: await createKey(inst.deps, org), victim: await createKey(inst.deps, await createOrg(inst.deps)) };
}

/** The victim's own next exchange: its `token-key` figure shows what others spent of its budget. */
async function victimRemaining(victim: { key: { id: string; orgId: string }; secret: string }): Promise<string | undefined> {
  const res = await post('/v1/token').send({ org_id: victim.key.orgId, key_id: victim.key.id, secret: victim.secret }).expect(200);
  return /"token-key"; r=(\d+)/.exec(String(res.headers['ratelimit']))?.[1];
}

describe('the limiter counts the key that authenticated', () => {
  it('refuses key_id in an OAuth form body with 400 and leaves the named key untouched', async () => {
    const { attacker, victim } = await twoKeys();
    for (let i = 0; i < 3; i++) {
      const res = await post('/oauth/token')
        .type('form')
        .send({ grant_type: 'client_credentials', client_id: attacker.key.id, client_secret: attacker.secret, key_id: victim.key.id });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(String(res.headers['ratelimit'])).not.toContain('token-key');
    }
    expect(await victimRemaining(victim)).toBe(String(PER_KEY - 1));
  });

  it('refuses key_id or secret in the form bodies of introspection and revocation', async () => {
    const { attacker, victim } = await twoKeys();
    for (const path of ['/oauth/introspect', '/oauth/revoke']) {
      await post(path).type('form').send({ token: 'x', key_id: attacker.key.id, secret: attacker.secret }).expect(400);
      await post(path)
        .set('Authorization', basic(attacker.key.id, attacker.secret))
        .type('form')
        .send({ token: 'x', key_id: victim.key.id })
        .expect(400);
    }
    expect(await victimRemaining(victim)).toBe(String(PER_KEY - 1));
  });

  it('counts nothing against a key named next to other credentials in a JSON body', async () => {
    const { attacker, victim } = await twoKeys();
    const attempts = [
      post('/v1/token').send({ client_id: attacker.key.id, client_secret: attacker.secret, key_id: victim.key.id }),
      post('/v1/token').set('Authorization', basic(attacker.key.id, attacker.secret)).send({ key_id: victim.key.id }),
      post('/oauth/introspect').send({ token: 'x', client_id: attacker.key.id, client_secret: attacker.secret, key_id: victim.key.id }),
    ];
    for (const attempt of attempts) {
      const res = await attempt;
      expect(res.status).toBe(400);
      expect(`${res.headers['ratelimit']} ${res.headers['ratelimit-policy']}`).not.toContain('token-key');
    }
    expect(await victimRemaining(victim)).toBe(String(PER_KEY - 1));
  });

  it('keeps a caller to its own per-key limit whatever else the body names', async () => {
    const { attacker } = await twoKeys();
    const own = { client_id: attacker.key.id, client_secret: attacker.secret };
    for (let i = 0; i < PER_KEY; i++) await post('/v1/token').send(own).expect(200);
    await post('/v1/token').send(own).expect(429);
    await post('/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', ...own, key_id: `key_${'0'.repeat(26)}` })
      .expect(400);
  });
});

describe('no per-key figures before authentication', () => {
  it('answers a failed exchange naming a real key with only the address limits in its headers', async () => {
    const { attacker, victim } = await twoKeys();
    const res = await post('/v1/token')
      .send({ org_id: victim.key.orgId, key_id: victim.key.id, secret: attacker.secret })
      .expect(401, AUTH_FAILED);
    expect(res.headers['ratelimit-policy']).toBe('"token-ip"; q=100; w=60, "failed-ip-key"; q=10; w=60');
    expect(res.headers['ratelimit']).toMatch(/^"token-ip"; r=\d+; t=\d+, "failed-ip-key"; r=10; t=\d+$/);
    // The caller that does authenticate sees its key's budget, counted in the same Redis call.
    const ok = await post('/v1/token').send({ org_id: victim.key.orgId, key_id: victim.key.id, secret: victim.secret }).expect(200);
    expect(ok.headers['ratelimit']).toMatch(/^"token-ip"; r=\d+; t=\d+, "token-key"; r=4; t=\d+, "failed-ip-key"; r=10; t=\d+$/);
  });

  it('refuses an over-limit key only once it has authenticated, and gives the hit back', async () => {
    const { attacker, victim } = await twoKeys();
    const own = { org_id: attacker.key.orgId, key_id: attacker.key.id, secret: attacker.secret };
    for (let i = 0; i < PER_KEY; i++) await post('/v1/token').send(own).expect(200);
    const limited = await post('/v1/token').send(own).expect(429);
    expect(limited.headers['ratelimit']).toMatch(/^"token-key"; r=0; t=\d+$/);
    // A stranger naming that key still gets the same 401 as for any key: no sign that it is busy.
    const stranger = await post('/v1/token')
      .send({ ...own, secret: victim.secret })
      .expect(401, AUTH_FAILED);
    expect(String(stranger.headers['ratelimit'])).not.toContain('token-key');
    // The refused requests gave their hits back: the key's own successes are all that count.
    const counter = `{${prefix}}rl:token-key:${attacker.key.id}`;
    await waitFor(async () => (await redisOf(inst.deps).get(counter)) === String(PER_KEY), 5_000, 'refused hits to be given back');
  });
});

describe('secrets in the key-ID position', () => {
  it('never turns a secret sent as the key ID into a Redis key name or a log field', async () => {
    const { victim } = await twoKeys();
    const { secret } = victim;
    const attempts = [
      post('/oauth/token').set('Authorization', basic(secret, victim.key.id)).type('form').send({ grant_type: 'client_credentials' }),
      post('/v1/token').send({ org_id: victim.key.orgId, key_id: secret, secret }),
      post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: secret, client_secret: secret }),
      post('/oauth/introspect').set('Authorization', basic(secret, secret)).type('form').send({ token: 'x' }),
      post('/v1/token').send({ org_id: victim.key.orgId, key_id: 'key_\u0000', secret }),
      // curl -u 'key_%00:x': Basic credentials are form-encoded (RFC 6749 §2.3.1), so %00 is a NUL.
      post('/oauth/token').set('Authorization', basic('key_%00', secret)).type('form').send({ grant_type: 'client_credentials' }),
    ];
    for (const attempt of attempts) await attempt.expect(401, AUTH_FAILED);
    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redisOf(inst.deps).scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      cursor = next;
      names.push(...batch);
    } while (cursor !== '0');
    expect(names.some((n) => n.includes(`{${prefix}}rl:token-ip:`))).toBe(true);
    const body = secret.slice(8, 40);
    expect(names.filter((n) => n.includes(body) || n.includes('\u0000'))).toEqual([]);
    expect(logs.text()).not.toContain(body);
  });
});

describe('a connection cut while the limiter waits for Redis', () => {
  it('gets its token-key hit back', async () => {
    const proxy = await startTcpProxy(TEST_REDIS_URL);
    const cutPrefix = newPrefix();
    const viaProxy = await createTestInstance({ prefix: cutPrefix, env: { ...LIMITS, REDIS_URL: proxy.url } });
    const srv = await listen(viaProxy.app);
    try {
      const org = await createOrg(viaProxy.deps);
      const { key, secret } = await createKey(viaProxy.deps, org);
      const serverSide = new Promise<void>((resolve) => srv.server.once('connection', (s) => s.once('close', () => resolve())));
      proxy.pause();
      const body = JSON.stringify({ org_id: org.id, key_id: key.id, secret });
      const client = net.connect(Number(new URL(srv.url).port), '127.0.0.1');
      client.on('error', () => undefined);
      client.write(
        `POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await waitFor(() => proxy.heldCount(`rl:token-key:${key.id}`) > 0, 5_000, 'the counting call to reach the proxy');
      client.destroy();
      await serverSide;
      proxy.resume();
      const counter = `{${cutPrefix}}rl:token-key:${key.id}`;
      await waitFor(async () => (await redisOf(inst.deps).exists(counter)) === 1, 5_000, 'the counter to exist');
      await waitFor(async () => (await redisOf(inst.deps).get(counter)) === '0', 5_000, 'the hit to be given back');
    } finally {
      proxy.resume();
      await srv.close();
      await viaProxy.close();
      await proxy.close();
    }
  });
});
