import { createRemoteJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { openApiPath, operationsOf, type RouteAuth } from '../../src/http/route.js';
import { routes } from '../../src/http/routes/index.js';
import { createTestInstance, listen, newPrefix, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';
import { TEST_ISSUER } from '../support/env.js';
import { createKey, createOrg, exchange } from '../support/fixtures.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => inst.close());

describe('GET /.well-known/jwks.json', () => {
  it('publishes public keys only, with cache headers and an ETag', async () => {
    const res = await request(inst.app).get('/.well-known/jwks.json').expect(200);
    expect(res.headers['content-type']).toBe('application/jwk-set+json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=300, must-revalidate');
    expect(res.headers['etag']).toMatch(/^"[\w-]+"$/);
    const { keys } = JSON.parse(res.text);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const k of keys) {
      expect(k).toMatchObject({
        kty: 'EC',
        crv: 'P-256',
        alg: 'ES256',
        use: 'sig',
        kid: expect.any(String),
        x: expect.any(String),
        y: expect.any(String),
      });
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect(k).not.toHaveProperty(priv);
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await request(inst.app).get('/.well-known/jwks.json').expect(200);
    const again = await request(inst.app).get('/.well-known/jwks.json').set('If-None-Match', first.headers['etag']!).expect(304);
    expect(again.text).toBe('');
  });
});

describe('signing key shared by instances', () => {
  it('has every instance on one database sign with the same kid, created once', async () => {
    const databaseUrl = await isolatedDatabase('shared_kid');
    // Started together on an empty table: exactly one key must come out of it.
    const [a, b] = await Promise.all([
      createTestInstance({ databaseUrl, prefix: newPrefix() }),
      createTestInstance({ databaseUrl, prefix: newPrefix() }),
    ]);
    try {
      const org = await createOrg(a.deps);
      const { key, secret } = await createKey(a.deps, org);
      const kidOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid;
      const ta = await exchange(a.app, { org_id: key.orgId, key_id: key.id, secret });
      const tb = await exchange(b.app, { org_id: key.orgId, key_id: key.id, secret });
      expect(kidOf(ta)).toBe(kidOf(tb));
      expect(await a.deps.db('signing_keys').count('* as n')).toEqual([{ n: 1 }]);
      // A token from A verifies against B's JWKS.
      const srv = await listen(b.app);
      try {
        const jwks = createRemoteJWKSet(new URL(`${srv.url}/.well-known/jwks.json`));
        await expect(jwtVerify(ta, jwks, { issuer: TEST_ISSUER, audience: TEST_ISSUER })).resolves.toBeDefined();
      } finally {
        await srv.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('stores the private key encrypted, never in clear', async () => {
    const rows = await inst.deps.db('signing_keys').select('*');
    for (const r of rows) {
      expect(r.private_jwk_enc).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(JSON.stringify(r)).not.toMatch(/"d"\s*:/);
      expect(r.public_jwk).not.toHaveProperty('d');
    }
  });
});

// The contract (DESIGN.md): every endpoint and who may call it, written out once here. The route
// table must match it, so a new endpoint adds its line, and no route changes its auth unnoticed.
const ENDPOINTS: Record<string, string> = {
  'POST /v1/token': 'client',
  'POST /oauth/token': 'client',
  'POST /oauth/introspect': 'client or bearer',
  'POST /oauth/revoke': 'client or bearer',
  'POST /v1/keys': 'bearer keys:write or session keys:write',
  'GET /v1/keys': 'bearer keys:read or session keys:read',
  'GET /v1/keys/{id}': 'bearer keys:read or session keys:read',
  'PATCH /v1/keys/{id}': 'bearer keys:write or session keys:write',
  'DELETE /v1/keys/{id}': 'bearer keys:write or session keys:write',
  'POST /v1/keys/{id}/revoke': 'bearer keys:write or session keys:write',
  'POST /v1/keys/{id}/rotate': 'bearer keys:write or session keys:write',
  'GET /v1/audit-events': 'bearer audit:read or session audit:read',
  'POST /v1/session': 'public',
  'DELETE /v1/session': 'session',
  'GET /v1/sessions': 'session',
  'DELETE /v1/sessions': 'session',
  'GET /v1/me': 'bearer  or session org:read',
  'POST /v1/me/password': 'session',
  'GET /v1/session/methods': 'public',
  'GET /v1/org': 'bearer  or session org:read',
  'PATCH /v1/org': 'session org:write',
  'GET /v1/signing-keys': 'session signing_keys:manage',
  'POST /v1/signing-keys/rotate': 'session signing_keys:manage',
  'GET /v1/members': 'bearer members:read or session members:read',
  'PATCH /v1/members/{user_id}': 'bearer members:write or session members:write',
  'DELETE /v1/members/{user_id}': 'bearer members:write or session members:write',
  'POST /v1/members/{user_id}/transfer-ownership': 'session members:manage_owners',
  'POST /v1/setup': 'public',
  'GET /v1/sso/start': 'public',
  'GET /v1/sso/callback': 'public',
  'POST /v1/invitations': 'bearer members:write or session members:write',
  'GET /v1/invitations': 'bearer members:read or session members:read',
  'DELETE /v1/invitations/{id}': 'bearer members:write or session members:write',
  'POST /v1/invitations/accept': 'public',
  'POST /v1/resources': 'bearer resources:write or session resources:write',
  'GET /v1/resources': 'bearer keys:read or session resources:read',
  'PATCH /v1/resources/{id}': 'bearer resources:write or session resources:write',
  'DELETE /v1/resources/{id}': 'bearer resources:write or session resources:write',
  'GET /v1/usage': 'bearer audit:read or session audit:read',
  'GET /v1/keys/{id}/usage': 'bearer audit:read or session keys:read',
  'GET /v1/revocations': 'public',
  'GET /v1/revocations/stream': 'public',
  'GET /.well-known/jwks.json': 'public',
  'GET /.well-known/oauth-authorization-server': 'public',
  'GET /.well-known/openid-configuration': 'public',
  'GET /healthz': 'public',
  'GET /metrics': 'public',
  'GET /readyz': 'public',
};

function authOf(auth: RouteAuth): string {
  if (auth.kind === 'bearer') return `bearer ${auth.scopes.join(' ')} or session ${auth.permission}`;
  if (auth.kind === 'session') return auth.permission === undefined ? 'session' : `session ${auth.permission}`;
  if (auth.kind === 'client' && auth.orBearer) return 'client or bearer';
  return auth.kind;
}

type Operation = {
  operationId: string;
  parameters: Array<{ name: string; in: string; required: boolean }>;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};

describe('the route table', () => {
  it('holds exactly the endpoints of the contract, each with who may call it', () => {
    const table = Object.fromEntries(
      routes
        .filter((r) => !r.undocumented)
        .flatMap((r) => operationsOf(r).map((o) => [`${r.method.toUpperCase()} ${openApiPath(o.path)}`, authOf(r.auth)])),
    );
    expect(table).toEqual(ENDPOINTS);
  });

  it('is mounted: every path of every entry is answered by its route, not the not-found handler', async () => {
    const srv = await listen(inst.app);
    const unmounted: string[] = [];
    try {
      for (const route of routes) {
        for (const { path } of operationsOf(route)) {
          const res = await fetch(`${srv.url}${path.replace(/:\w+/g, 'key_01JAAAAAAAAAAAAAAAAAAAAAAA')}`, {
            method: route.method.toUpperCase(),
          });
          // An event stream stays open: its status is the answer.
          const stream = res.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
          const body = stream ? '' : await res.text();
          if (stream) await res.body?.cancel();
          if (res.status === 404 && body.includes('no route for')) unmounted.push(`${route.method} ${path}`);
        }
      }
    } finally {
      await srv.close();
    }
    expect(unmounted).toEqual([]);
  });
});

describe('GET /openapi.json', () => {
  it('documents every route, generated from the request schemas', async () => {
    const res = await request(inst.app).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths).sort()).toEqual([...new Set(Object.keys(ENDPOINTS).map((e) => e.split(' ')[1]))].sort());
    const token = res.body.paths['/v1/token'].post;
    expect(token.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TokenRequest' });
    const json = res.body.components.schemas.TokenRequest;
    expect(json.properties.secret).toMatchObject({ type: 'string', maxLength: 128 });
    expect(json.additionalProperties).toBe(false);
    expect(res.body.components.schemas.ClientCredentialsRequest.required).toEqual(['grant_type']);
    expect(token.responses['401'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    const create = res.body.paths['/v1/keys'].post;
    expect(create.security).toEqual([{ oauth2: ['keys:write'] }, { session: [] }]);
    expect(res.body.components.schemas.CreateApiKeyRequest.properties.scopes.maxItems).toBe(50);
    expect(res.body.paths['/v1/keys'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'status',
      'environment',
      'unused_for_days',
      'owner',
      'q',
      'limit',
      'cursor',
    ]);
  });

  it('names every operation with a unique camelCase operationId, declares its path parameters and answers 4xx with the Error schema', async () => {
    const { body } = await request(inst.app).get('/openapi.json').expect(200);
    const operations = Object.entries(body.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
      Object.values(ops).map((op) => ({ path, op })),
    );
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(?:[A-Z][a-z]*)+$/);
    expect(ids).toEqual(expect.arrayContaining(['exchangeToken', 'createKey', 'listKeys', 'getKey', 'revokeKey', 'rotateKey']));
    const undeclared: string[] = [];
    const withoutError: string[] = [];
    for (const { path, op } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = op.parameters.filter((p) => p.in === 'path' && p.required).map((p) => p.name);
      if (declared.join() !== inPath.join()) undeclared.push(op.operationId);
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.['application/json']?.schema;
        if (status.startsWith('4') && JSON.stringify(schema) !== '{"$ref":"#/components/schemas/Error"}')
          withoutError.push(`${op.operationId} ${status}`);
      }
    }
    expect(undeclared).toEqual([]);
    expect(withoutError).toEqual([]);
  });
});
