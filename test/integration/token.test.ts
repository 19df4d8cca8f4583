import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { updateKey } from '../../src/storage/api-keys.js';
import { createTestInstance, listen, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';
import { createKey, createOrg } from '../support/fixtures.js';
import { TEST_ISSUER } from '../support/env.js';

let inst: TestInstance;
let server: Awaited<ReturnType<typeof listen>>;
let jwks: ReturnType<typeof createRemoteJWKSet>;

beforeAll(async () => {
  inst = await createTestInstance();
  server = await listen(inst.app);
  jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
});
afterAll(async () => {
  await server.close();
  await inst.close();
});

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const AUTH_FAILED = { error: 'invalid_client', error_description: 'client authentication failed' };

async function verify(token: string, audience = TEST_ISSUER) {
  return jwtVerify(token, jwks, { issuer: TEST_ISSUER, audience, typ: 'at+jwt' });
}

describe('POST /v1/token', () => {
  it('exchanges a key given as JSON for a JWT that verifies through the JWKS', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org, { scopes: ['read', 'write'] });
    const res = await request(server.url).post('/v1/token').send({ org_id: org.id, key_id: key.id, secret }).expect(200);

    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['pragma']).toBe('no-cache');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, scope: 'read write' });

    const { payload, protectedHeader } = await verify(res.body.access_token);
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'at+jwt' });
    expect(payload).toEqual({
      iss: TEST_ISSUER,
      sub: key.id,
      client_id: key.id,
      org_id: org.id,
      aud: TEST_ISSUER,
      scope: 'read write',
      env: 'live',
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
    });
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('serves the same exchange at /oauth/token with form client_credentials, secret in the body', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    const res = await request(server.url)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: key.id, client_secret: secret })
      .expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { payload } = await verify(res.body.access_token);
    expect(payload.sub).toBe(key.id);
  });

  it('requires org_id with key_id and secret in JSON, and not in the OAuth forms', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    await request(inst.app).post('/v1/token').send({ key_id: key.id, secret }).expect(400, {
      error: 'invalid_request',
      error_description: '"org_id" is required with key_id and secret',
    });
    await request(inst.app).post('/v1/token').send({ key_id: key.id }).expect(400);
    // OAuth clients carry no org: the key ID alone names it, as JSON client_id/client_secret or Basic.
    await request(inst.app).post('/v1/token').send({ client_id: key.id, client_secret: secret }).expect(200);
    await request(inst.app).post('/v1/token').set('Authorization', basic(key.id, secret)).send({}).expect(200);
    await request(inst.app)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: key.id, client_secret: secret })
      .expect(200);
  });

  it('accepts client_credentials with the secret in HTTP Basic', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    const res = await request(server.url)
      .post('/oauth/token')
      .set('Authorization', basic(key.id, secret))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'read' })
      .expect(200);
    expect(res.body.scope).toBe('read');
    const { payload } = await verify(res.body.access_token);
    expect(payload).toMatchObject({ sub: key.id, scope: 'read' });
  });

  it('narrows scopes and refuses to widen them', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org, { scopes: ['read', 'write'] });
    const narrowed = await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: key.id, secret, scope: 'write' }).expect(200);
    expect(narrowed.body.scope).toBe('write');
    await request(inst.app)
      .post('/v1/token')
      .send({ org_id: org.id, key_id: key.id, secret, scope: 'read admin' })
      .expect(400, { error: 'invalid_scope', error_description: 'scope "admin" is not granted to this key' });
  });

  it("lets the caller pick one of the key's audiences and refuses any other", async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org, { audiences: ['https://a.example', 'https://b.example'] });
    const both = await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
    expect((await verify(both.body.access_token, 'https://a.example')).payload.aud).toEqual(['https://a.example', 'https://b.example']);

    const one = await request(inst.app)
      .post('/v1/token')
      .send({ org_id: key.orgId, key_id: key.id, secret, audience: 'https://b.example' })
      .expect(200);
    expect((await verify(one.body.access_token, 'https://b.example')).payload.aud).toBe('https://b.example');

    const viaResource = await request(inst.app)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: key.id, client_secret: secret, resource: 'https://a.example' })
      .expect(200);
    expect((await verify(viaResource.body.access_token, 'https://a.example')).payload.aud).toBe('https://a.example');

    await request(inst.app)
      .post('/v1/token')
      .send({ org_id: key.orgId, key_id: key.id, secret, audience: 'https://evil.example' })
      .expect(400, { error: 'invalid_target', error_description: 'audience "https://evil.example" is not allowed for this key' });
  });

  it('never issues a token that outlives its key', async () => {
    const org = await createOrg(inst.deps);
    const expiresAt = new Date(Date.now() + 120_000);
    const { key, secret } = await createKey(inst.deps, org, { expiresAt });
    const res = await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
    const { payload } = await verify(res.body.access_token);
    expect(payload.exp).toBeLessThanOrEqual(Math.floor(expiresAt.getTime() / 1000));
    expect(res.body.expires_in).toBeLessThanOrEqual(120);
  });

  it('marks the token env from the key environment', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org, { environment: 'test' });
    expect(secret.startsWith('sk_test_')).toBe(true);
    const res = await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
    expect((await verify(res.body.access_token)).payload.env).toBe('test');
  });
});

describe('client authentication failures', () => {
  it('answers every cause with a byte-identical 401 invalid_client', async () => {
    const org = await createOrg(inst.deps);
    const other = await createOrg(inst.deps);
    const good = await createKey(inst.deps, org);
    const revoked = await createKey(inst.deps, org);
    await updateKey(inst.deps.db, revoked.key.id, { revokedAt: new Date(), revokedBy: 'test' }, new Date());
    const expired = await createKey(inst.deps, org, { expiresAt: new Date(Date.now() - 1000) });
    // One character changed: the one replaced, not the last, decides the replacement (else 1 run in 64 sent the secret unchanged).
    const wrongSecret = good.secret.slice(0, -12) + (good.secret.at(-12) === 'A' ? 'B' : 'A') + good.secret.slice(-11);

    const attempts: Record<string, object> = {
      unknown_key: { org_id: org.id, key_id: 'key_01JAAAAAAAAAAAAAAAAAAAAAAA', secret: good.secret },
      wrong_secret: { org_id: good.key.orgId, key_id: good.key.id, secret: (await createKey(inst.deps, org)).secret },
      typo_in_secret: { org_id: good.key.orgId, key_id: good.key.id, secret: wrongSecret },
      revoked: { org_id: revoked.key.orgId, key_id: revoked.key.id, secret: revoked.secret },
      expired: { org_id: expired.key.orgId, key_id: expired.key.id, secret: expired.secret },
      org_mismatch: { org_id: other.id, key_id: good.key.id, secret: good.secret },
      not_a_key_id: { org_id: org.id, key_id: 'nonsense', secret: good.secret },
    };
    const bodies = new Set<string>();
    for (const [cause, body] of Object.entries(attempts)) {
      const res = await request(inst.app).post('/v1/token').send(body);
      expect({ cause, status: res.status }).toEqual({ cause, status: 401 });
      expect(res.headers['www-authenticate']).toBe('Basic realm="scope-auth", charset="UTF-8"');
      expect(res.headers['cache-control']).toBe('no-store');
      bodies.add(res.text);
    }
    expect([...bodies]).toEqual([JSON.stringify(AUTH_FAILED)]);
    // The key itself still works: none of the failures touched it.
    await request(inst.app).post('/v1/token').send({ org_id: good.key.orgId, key_id: good.key.id, secret: good.secret }).expect(200);
  });

  it('records the real reason in the audit log, never the secret', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    const bad = (await createKey(inst.deps, org)).secret;
    await request(inst.app)
      .post('/v1/token')
      .set('User-Agent', 'audit-test/1')
      .send({ org_id: key.orgId, key_id: key.id, secret: bad })
      .expect(401);
    await inst.deps.audit.flush();
    const rows = await inst.deps.db('audit_events').where({ org_id: org.id, action: 'exchange.rejected' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ target_id: key.id, user_agent: 'audit-test/1', detail: { reason: 'wrong_secret' } });
    expect(JSON.stringify(rows)).not.toContain(bad);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('gives invalid_client when no credentials are sent at all', async () => {
    await request(inst.app).post('/oauth/token').type('form').send({ grant_type: 'client_credentials' }).expect(401, AUTH_FAILED);
  });

  it('gives invalid_client for a malformed Basic header', async () => {
    await request(inst.app)
      .post('/oauth/token')
      .set('Authorization', `Basic ${Buffer.from('no-colon').toString('base64')}`)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(401, AUTH_FAILED);
  });
});

describe('malformed requests', () => {
  it('refuses credentials in the query string', async () => {
    await request(inst.app).post('/v1/token?client_secret=sk_live_x').send({}).expect(400, {
      error: 'invalid_request',
      error_description: 'credentials must be sent in the request body or Authorization header, never in the query string',
    });
  });

  it.each([
    ['broken JSON', 'application/json', '{"key_id":'],
    ['a JSON array', 'application/json', '[1,2]'],
    ['a JSON string', 'application/json', '"x"'],
    ['text/plain', 'text/plain', 'key_id=x'],
    ['XML', 'application/xml', '<a/>'],
    ['no body', undefined, undefined],
    ['an unknown JSON field', 'application/json', '{"key_id":"k","secret":"s","scopes":"x"}'],
    ['a number for key_id', 'application/json', '{"key_id":5,"secret":"s"}'],
    ['an unsupported charset', 'application/json; charset=ibm-037', '{}'],
  ])('answers %s with 400 invalid_request', async (_name, type, body) => {
    const req = request(inst.app).post('/v1/token');
    if (type) req.set('Content-Type', type);
    const res = await req.send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  it('names the missing field', async () => {
    await request(inst.app).post('/oauth/token').type('form').send({ client_id: 'x' }).expect(400, {
      error: 'invalid_request',
      error_description: '"grant_type" is required',
    });
  });

  it('rejects repeated form parameters (RFC 6749 §3.2)', async () => {
    const res = await request(inst.app).post('/oauth/token').type('form').send('grant_type=client_credentials&scope=a&scope=b');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('answers an unknown grant type with unsupported_grant_type', async () => {
    await request(inst.app).post('/oauth/token').type('form').send({ grant_type: 'password', client_id: 'x' }).expect(400, {
      error: 'unsupported_grant_type',
      error_description: 'grant_type "password" is not supported; use client_credentials',
    });
  });

  it('refuses two client authentication methods at once', async () => {
    const res = await request(inst.app)
      .post('/oauth/token')
      .set('Authorization', basic('key_x', 'y'))
      .type('form')
      .send({ grant_type: 'client_credentials', client_secret: 'z' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('refuses a body over the size limit with 400', async () => {
    const res = await request(inst.app)
      .post('/v1/token')
      .send({ key_id: 'k', secret: 'x'.repeat(20_000) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'request body is too large' });
  });
});

describe('signing algorithm', () => {
  it('signs with ES256 when configured', async () => {
    const es = await createTestInstance({ env: { SIGNING_ALG: 'ES256' }, databaseUrl: await isolatedDatabase('es256') });
    try {
      const org = await createOrg(es.deps);
      const { key, secret } = await createKey(es.deps, org);
      const res = await request(es.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
      expect(decodeProtectedHeader(res.body.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      const srv = await listen(es.app);
      try {
        const set = createRemoteJWKSet(new URL(`${srv.url}/.well-known/jwks.json`));
        await expect(jwtVerify(res.body.access_token, set, { issuer: TEST_ISSUER, audience: TEST_ISSUER })).resolves.toBeDefined();
      } finally {
        await srv.close();
      }
    } finally {
      await es.close();
    }
  });
});
