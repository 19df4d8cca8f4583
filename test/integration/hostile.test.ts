import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { SignJWT, base64url, exportJWK, generateKeyPair } from 'jose';
import request from 'supertest';
import { createVerifier, type Verifier } from '../../sdk/src/index.js';
import { MAX_TOKEN_LENGTH } from '../../src/domain/token-verification.js';
import { ERROR_STATUS } from '../../src/errors.js';
import { createTestInstance, listen, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';
import { TEST_ISSUER } from '../support/env.js';
import { createAdmin, createKey, createOrg, exchange } from '../support/fixtures.js';

/** Runs per property; raise with FC_RUNS for a longer soak. */
const RUNS = Number(process.env.FC_RUNS ?? 120);
const CODES = new Set(Object.keys(ERROR_STATUS));

let inst: TestInstance;
// One listening server for the properties' thousands of requests: supertest given the app would
// open and close a server for each one.
let server: Awaited<ReturnType<typeof listen>>;
let adminToken: string;
let orgId: string;
let keyId: string;
let secret: string;
beforeAll(async () => {
  inst = await createTestInstance();
  server = await listen(inst.app);
  const admin = await createAdmin(inst.deps, inst.app);
  adminToken = admin.token;
  const k = await createKey(inst.deps, admin.org);
  orgId = k.key.orgId;
  keyId = k.key.id;
  secret = k.secret;
});
afterAll(async () => {
  await server.close();
  await inst.close();
});

/** The invariant for every response: a 4xx (or a success), never a 5xx, and errors in the one shape. */
function expectSane(res: request.Response, what: string): void {
  if (res.status >= 500) throw new Error(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
  if (res.status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
    expect(CODES.has(res.body.error)).toBe(true);
    // A 405 (with Allow) is the one status a code does not fix: it is an invalid_request.
    expect(res.status).toBe(res.headers['allow'] ? 405 : ERROR_STATUS[res.body.error as keyof typeof ERROR_STATUS]);
  }
}

const ROUTES: Array<{ method: 'get' | 'post' | 'patch' | 'delete'; path: (id: string) => string; bearer?: boolean }> = [
  { method: 'post', path: () => '/v1/token' },
  { method: 'post', path: () => '/oauth/token' },
  { method: 'post', path: () => '/oauth/introspect' },
  { method: 'post', path: () => '/oauth/revoke' },
  { method: 'post', path: () => '/v1/keys', bearer: true },
  { method: 'get', path: () => '/v1/keys', bearer: true },
  { method: 'get', path: (id) => `/v1/keys/${id}`, bearer: true },
  { method: 'patch', path: (id) => `/v1/keys/${id}`, bearer: true },
  { method: 'post', path: (id) => `/v1/keys/${id}/revoke`, bearer: true },
  { method: 'post', path: (id) => `/v1/keys/${id}/rotate`, bearer: true },
  { method: 'get', path: () => '/v1/audit-events', bearer: true },
  { method: 'get', path: () => '/v1/revocations' },
  { method: 'get', path: () => '/.well-known/jwks.json' },
  { method: 'get', path: () => '/.well-known/oauth-authorization-server' },
  { method: 'get', path: () => '/openapi.json' },
];

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/x-www-form-urlencoded',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    '',
    'application/json; charset="utf-8"; foo',
    '*/*',
  ),
  fc.string({ maxLength: 60 }),
);

const jsonish = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        org_id: fc.oneof(fc.string(), fc.constant('org_01JAAAAAAAAAAAAAAAAAAAAAAA')),
        key_id: fc.oneof(fc.string(), fc.integer(), fc.constant('key_01JAAAAAAAAAAAAAAAAAAAAAAA')),
        secret: fc.oneof(fc.string(), fc.string({ minLength: 100, maxLength: 400 })),
        scope: fc.oneof(fc.string(), fc.array(fc.string())),
        audience: fc.string(),
        name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        scopes: fc.array(fc.string(), { maxLength: 60 }),
        audiences: fc.array(fc.string()),
        allowed_cidrs: fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string())),
        expires_at: fc.oneof(
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        expires_in: fc.oneof(fc.integer(), fc.double()),
        grace_period_seconds: fc.oneof(fc.integer(), fc.string()),
        token: fc.string(),
        grant_type: fc.constantFrom('client_credentials', 'password', '', 'x'),
        __proto__: fc.jsonValue(),
        constructor: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 50 })).map((d) => new URLSearchParams(d).toString()),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
);

const hostileId = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    'key_01JAAAAAAAAAAAAAAAAAAAAAAA',
    '..%2F..%2Fetc%2Fpasswd',
    '%00',
    "key_' OR '1'='1",
    'key_'.padEnd(300, 'A'),
    '%E0%A4%A',
    '%',
  ),
);

const authorization = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 100 }),
  fc.string({ maxLength: 100 }).map((s) => `Bearer ${s}`),
  fc.string({ maxLength: 100 }).map((s) => `Basic ${s}`),
  fc.tuple(fc.string(), fc.string()).map(([a, b]) => `Basic ${Buffer.from(`${a}:${b}`).toString('base64')}`),
  fc.constant('Bearer'),
  fc.constant('Basic'),
  fc.constant(`Basic ${Buffer.from('\u0000:\u0000').toString('base64')}`),
);

describe('hostile input at every endpoint (fast-check)', () => {
  it(`never answers 5xx and always uses the error shape (${RUNS} runs per property)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        jsonish,
        contentType,
        authorization,
        hostileId,
        fc.boolean(),
        fc.dictionary(
          fc.constantFrom('secret', 'limit', 'cursor', 'status', 'after', 'since', 'key_id', 'x'),
          fc.string({ maxLength: 40 }),
          { maxKeys: 3 },
        ),
        async (route, body, type, authz, id, useAdmin, query) => {
          const path = route.path(encodeURIComponent(id).replace(/%25/g, '%'));
          const req = request(server.url)[route.method](path).query(query);
          if (type) req.set('Content-Type', type);
          if (route.bearer && useAdmin) req.set('Authorization', `Bearer ${adminToken}`);
          else if (authz !== undefined) req.set('Authorization', authz.replace(/[\r\n]/g, ''));
          const res = await (route.method === 'get' ? req : req.send(body));
          expectSane(res, `${route.method} ${path}`);
        },
      ),
      { numRuns: RUNS * ROUTES.length },
    );
  });

  it('handles compressed, truncated, oversized and mislabelled bodies with 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'x-bogus'),
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.string().map((s) => gzipSync(s)),
        ),
        fc.integer({ min: 0, max: 40_000 }),
        async (encoding, payload, padding) => {
          const body = Buffer.concat([Buffer.from(payload), Buffer.alloc(padding, 0x61)]);
          const res = await request(server.url)
            .post('/v1/token')
            .set('Content-Type', 'application/json')
            .set('Content-Encoding', encoding)
            .send(body);
          expectSane(res, `encoding ${encoding}`);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
    // A gzip bomb is cut off by the size limit after inflation.
    const bomb = gzipSync(Buffer.alloc(10_000_000, 0x20));
    const res = await request(inst.app)
      .post('/v1/token')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send(bomb);
    expect(res.status).toBe(400);
  });

  it('answers hostile headers without failing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
        fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
        async (requestId, forwarded) => {
          const res = await request(inst.app)
            .post('/v1/token')
            .set('X-Request-Id', requestId)
            .set('X-Forwarded-For', forwarded)
            .set('Last-Event-ID', requestId)
            .send({ org_id: orgId, key_id: keyId, secret });
          expect(res.status).toBe(200);
          expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('hostile tokens', () => {
  let verifier: Verifier;
  let srv: Awaited<ReturnType<typeof listen>>;
  let hostile: Record<string, string>;
  beforeAll(async () => {
    srv = await listen(inst.app);
    verifier = createVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_ISSUER,
      jwksUrl: `${srv.url}/.well-known/jwks.json`,
      revocation: false,
    });

    const good = await exchange(inst.app, { org_id: orgId, key_id: keyId, secret });
    const [h, p] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    const real = inst.deps.keyring.activeKey(Date.now());
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string };
    // `crit` names an extension the signer claims to understand and every verifier must refuse.
    const signReal = (c: Record<string, unknown>, hdr: Record<string, unknown> = {}) =>
      new SignJWT(c)
        .setProtectedHeader({ alg: real.alg, kid: real.kid, typ: 'at+jwt', ...hdr })
        .sign(real.privateKey, hdr.crit ? { crit: { 'http://example.com/unknown': true } } : undefined);
    const attacker = await generateKeyPair('EdDSA', { extractable: true });
    const attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: 'attacker' };
    const signAttacker = (hdr: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...hdr }).sign(attacker.privateKey);
    const jwks = JSON.parse(inst.deps.keyring.jwks().body) as { keys: Array<{ x: string; kid: string }> };
    const publicX = jwks.keys.find((k) => k.kid === header.kid)!.x;
    const hs256 = async (secretBytes: Uint8Array) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: header.kid, typ: 'at+jwt' }).sign(secretBytes);
    const enc = (o: object) => base64url.encode(JSON.stringify(o));

    const other = await createTestInstance({ databaseUrl: await isolatedDatabase('other_deployment') });
    try {
      const org = await createOrg(other.deps);
      const k = await createKey(other.deps, org);
      hostile = {
        'alg none': `${enc({ alg: 'none', typ: 'at+jwt' })}.${p}.`,
        'alg none, uppercase': `${enc({ alg: 'NONE', kid: header.kid, typ: 'at+jwt' })}.${p}.`,
        'HS256 keyed with the public key': await hs256(Buffer.from(publicX, 'base64url')),
        'HS256 keyed with the JWKS text': await hs256(Buffer.from(inst.deps.keyring.jwks().body)),
        'unknown kid': await signAttacker({ kid: 'no-such-key' }),
        'kid injection': await signAttacker({ kid: "../../../../dev/null' OR '1'='1" }),
        'jku to an attacker JWKS': await signAttacker({ kid: 'attacker', jku: 'https://attacker.example/jwks.json' }),
        'x5u to an attacker': await signAttacker({ kid: 'attacker', x5u: 'https://attacker.example/cert.pem' }),
        'embedded jwk': await signAttacker({ jwk: attackerJwk }),
        'crit extension': await signReal(claims, { crit: ['http://example.com/unknown'], 'http://example.com/unknown': true }),
        // Validly signed, but longer than any token this service issues (MAX_TOKEN_LENGTH).
        oversized: await signReal({ ...claims, pad: 'x'.repeat((MAX_TOKEN_LENGTH * 3) / 4) }),
        expired: await signReal({ ...claims, iat: now - 1000, exp: now - 500 }),
        'not yet valid': await signReal({ ...claims, nbf: now + 3600 }),
        'wrong issuer': await signReal({ ...claims, iss: 'https://evil.example' }),
        'wrong typ': await signReal(claims, { typ: 'JWT' }),
        'no typ': await new SignJWT(claims).setProtectedHeader({ alg: real.alg, kid: real.kid }).sign(real.privateKey),
        'signature stripped': `${h}.${p}.`,
        'payload swapped': `${h}.${enc({ ...claims, scope: 'keys:write' })}.${good.split('.')[2]}`,
        'another deployment': await exchange(other.app, { org_id: k.key.orgId, key_id: k.key.id, secret: k.secret }),
      };
    } finally {
      await other.close();
    }
  });
  afterAll(async () => {
    await verifier.close();
    await srv.close();
  });

  it('introspects every hostile token as inactive', async () => {
    for (const [name, token] of Object.entries(hostile)) {
      const res = await request(inst.app)
        .post('/oauth/introspect')
        .set('Authorization', `Bearer ${adminToken}`)
        .type('form')
        .send({ token });
      expect({ name, status: res.status, body: res.body }).toEqual({ name, status: 200, body: { active: false } });
    }
  });

  it('refuses a token beyond the input limit with 400 before any parsing', async () => {
    const res = await request(inst.app)
      .post('/oauth/introspect')
      .set('Authorization', `Bearer ${adminToken}`)
      .type('form')
      .send({ token: 'e'.repeat(13_000) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('refuses every hostile token at the management API', async () => {
    for (const [name, token] of Object.entries(hostile)) {
      const res = await request(inst.app).get('/v1/keys').set('Authorization', `Bearer ${token}`);
      expect({ name, status: res.status, error: res.body.error }).toEqual({ name, status: 401, error: 'invalid_token' });
    }
  });

  it('refuses every hostile token in the SDK verifier', async () => {
    for (const [name, token] of Object.entries(hostile)) {
      const outcome = await verifier.verify(token).then(
        () => 'accepted',
        (err: { code?: string }) => err.code,
      );
      expect({ name, outcome: outcome === 'accepted' ? outcome : 'refused' }).toEqual({ name, outcome: 'refused' });
    }
  });

  it('treats random token-shaped strings as inactive (fast-check)', async () => {
    const segment = fc.oneof(fc.base64String({ maxLength: 120 }), fc.string({ maxLength: 60 }));
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
        async (token) => {
          const res = await request(server.url)
            .post('/oauth/introspect')
            .set('Authorization', `Bearer ${adminToken}`)
            .type('form')
            .send({ token });
          expectSane(res, 'introspect');
          if (res.status === 200) expect(res.body).toEqual({ active: false });
          await expect(verifier.verify(token)).rejects.toBeDefined();
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });
});
