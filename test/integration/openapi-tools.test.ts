// The OpenAPI document as tools read it (issue 22, point 4): redocly's recommended rules, and a
// TypeScript client generated from it (openapi-typescript + openapi-fetch) that compiles and works.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { routes } from '../../src/http/routes/index.js';
import { createTestInstance, listen, type TestInstance } from '../support/app.js';
import { TEST_ISSUER } from '../support/env.js';
import { createAdmin } from '../support/fixtures.js';

const run = promisify(execFile);
const ROOT = resolve('.');
const BIN = join(ROOT, 'node_modules', '.bin');
// Offline and quiet: no telemetry, no update check.
const TOOL_ENV = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };

type Response = { headers?: Record<string, unknown>; content?: Record<string, { schema: unknown; example?: unknown }> };
type Operation = { operationId: string; security: Array<Record<string, string[]>>; responses: Record<string, Response> };
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

let inst: TestInstance;
let doc: Document;
let dir: string;
beforeAll(async () => {
  inst = await createTestInstance();
  doc = (await request(inst.app).get('/openapi.json').expect(200)).body as Document;
  dir = await mkdtemp(join(tmpdir(), 'scope-auth-openapi-'));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  await writeFile(join(dir, 'openapi.json'), JSON.stringify(doc));
});
afterAll(async () => {
  await inst.close();
  await rm(dir, { recursive: true, force: true });
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

describe('the OpenAPI document for tools', () => {
  it("passes redocly lint's recommended rules with no error", async () => {
    const { stdout } = await run(join(BIN, 'redocly'), ['lint', '--extends=recommended', '--format=json', join(dir, 'openapi.json')], {
      env: TOOL_ENV,
      cwd: dir,
    }).catch((e: { stdout: string }) => e);
    const problems = (JSON.parse(stdout) as { problems: Array<{ severity: string; ruleId: string; message: string }> }).problems;
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  }, 60_000);

  it('names its schemas as components, and responses point at them', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'ApiKey',
        'ApiKeyPage',
        'ApiKeyWithSecret',
        'AuditEvent',
        'Error',
        'Introspection',
        'RevocationEntry',
        'TokenRequest',
        'TokenResponse',
        'Member',
        'MemberList',
        'MemberRoleChange',
        'UpdateMemberRequest',
        'Invitation',
        'InvitationList',
        'InvitationWithAcceptUrl',
        'CreateInvitationRequest',
        'AcceptInvitationRequest',
        'Resource',
        'ResourceList',
        'CreateResourceRequest',
        'UpdateResourceRequest',
        'KeyUsage',
        'OrgUsage',
        'Me',
        'SessionList',
        'SignedIn',
        'SignInRequest',
      ]),
    );
    const schemaOf = (path: string, method: string, status: string) =>
      doc.paths[path]![method]!.responses[status]!.content!['application/json']!.schema;
    expect({
      members: schemaOf('/v1/members', 'get', '200'),
      invitation: schemaOf('/v1/invitations', 'post', '201'),
      invitations: schemaOf('/v1/invitations', 'get', '200'),
      resource: schemaOf('/v1/resources/{id}', 'patch', '200'),
      resources: schemaOf('/v1/resources', 'get', '200'),
      usage: schemaOf('/v1/keys/{id}/usage', 'get', '200'),
      me: schemaOf('/v1/me', 'get', '200'),
      sessions: schemaOf('/v1/sessions', 'get', '200'),
      signIn: schemaOf('/v1/session', 'post', '200'),
    }).toEqual({
      members: { $ref: '#/components/schemas/MemberList' },
      invitation: { $ref: '#/components/schemas/InvitationWithAcceptUrl' },
      invitations: { $ref: '#/components/schemas/InvitationList' },
      resource: { $ref: '#/components/schemas/Resource' },
      resources: { $ref: '#/components/schemas/ResourceList' },
      usage: { $ref: '#/components/schemas/KeyUsage' },
      me: { $ref: '#/components/schemas/Me' },
      sessions: { $ref: '#/components/schemas/SessionList' },
      signIn: { $ref: '#/components/schemas/SignedIn' },
    });
    expect((doc.components.schemas.MemberList as { properties: { data: { items: unknown } } }).properties.data.items).toEqual({
      $ref: '#/components/schemas/Member',
    });
    expect(doc.paths['/v1/keys/{id}']!.get!.responses['200']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/ApiKey',
    });
    expect(doc.paths['/v1/token']!.post!.responses['200']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/TokenResponse',
    });
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
  });

  it("lists in Error's enum exactly the contract's codes (DESIGN.md, Errors): nothing else reaches a client", () => {
    expect((doc.components.schemas.Error as { properties: { error: { enum: string[] } } }).properties.error.enum.sort()).toEqual(
      [
        'invalid_request',
        'invalid_client',
        'invalid_grant',
        'invalid_scope',
        'invalid_target',
        'unsupported_grant_type',
        'invalid_token',
        'insufficient_scope',
        'invalid_credentials',
        'forbidden',
        'csrf_failed',
        'not_found',
        'conflict',
        'rate_limited',
        'unavailable',
        'internal_error',
      ].sort(),
    );
  });

  it('declares an OAuth 2.0 client-credentials scheme with scopes per operation, and security: [] on public ones', () => {
    expect(doc.components.securitySchemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: {
        clientCredentials: {
          tokenUrl: `${TEST_ISSUER}/oauth/token`,
          scopes: { 'keys:read': expect.any(String), 'keys:write': expect.any(String), 'audit:read': expect.any(String) },
        },
      },
    });
    for (const route of routes.filter((r) => !r.undocumented)) {
      const op = operations().find((o) => o.op.operationId === route.operationId)!.op;
      if (route.auth.kind === 'public')
        expect({ id: route.operationId, security: op.security }).toEqual({ id: route.operationId, security: [] });
      if (route.auth.kind === 'bearer')
        expect({ id: route.operationId, security: op.security }).toEqual({
          id: route.operationId,
          security: [{ oauth2: [...route.auth.scopes] }, { session: [] }],
        });
    }
  });

  it('documents the headers and statuses an operation answers with', () => {
    const headersOf = (r: Response | undefined) => Object.keys(r?.headers ?? {}).sort();
    for (const { op } of operations()) for (const r of Object.values(op.responses)) expect(headersOf(r)).toContain('X-Request-Id');
    const create = doc.paths['/v1/keys']!.post!;
    expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '401', '403', '429', '500', '503']);
    expect(headersOf(create.responses['201'])).toEqual(['RateLimit', 'RateLimit-Policy', 'X-Request-Id']);
    expect(headersOf(create.responses['429'])).toEqual(['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-Id']);
    expect(headersOf(create.responses['503'])).toEqual(['Retry-After', 'X-Request-Id']);
    expect(headersOf(create.responses['401'])).toContain('WWW-Authenticate');
    expect(headersOf(create.responses['403'])).toContain('WWW-Authenticate');
    expect(headersOf(doc.paths['/.well-known/jwks.json']!.get!.responses['200'])).toEqual(['Cache-Control', 'ETag', 'X-Request-Id']);
    expect(Object.keys(doc.paths['/oauth/token']!.post!.responses).sort()).toEqual(['200', '400', '401', '429', '500', '503']);
    expect(doc.paths['/oauth/token']!.post!.responses['400']!.content!['application/json']!.example).toEqual({
      error: 'invalid_request',
      error_description: expect.any(String),
    });
  });

  it('generates a TypeScript client that compiles and drives the service', async () => {
    await run(join(BIN, 'openapi-typescript'), [join(dir, 'openapi.json'), '-o', join(dir, 'schema.d.ts')], { env: TOOL_ENV });
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noUncheckedIndexedAccess: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          outDir: 'out',
          skipLibCheck: true,
        },
        files: ['client.ts'],
      }),
    );
    await writeFile(
      join(dir, 'client.ts'),
      `import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type ApiKey = components['schemas']['ApiKey'];
const [baseUrl, orgId, keyId, secret] = process.argv.slice(2) as [string, string, string, string];
const api = createClient<paths>({ baseUrl });

const exchanged = await api.POST('/v1/token', { body: { org_id: orgId, key_id: keyId, secret, scope: 'keys:read keys:write' } });
if (!exchanged.data) throw new Error(JSON.stringify(exchanged.error));
const headers = { Authorization: \`Bearer \${exchanged.data.access_token}\` };
const created = await api.POST('/v1/keys', { headers, body: { name: 'from a generated client', scopes: ['keys:read'] } });
if (!created.data) throw new Error(JSON.stringify(created.error));
const fetched = await api.GET('/v1/keys/{id}', { headers, params: { path: { id: created.data.id } } });
const key: ApiKey | undefined = fetched.data;
const listed = await api.GET('/v1/keys', { headers, params: { query: { status: 'active', limit: 100 } } });
const missing = await api.GET('/v1/keys/{id}', { headers, params: { path: { id: 'key_01JAAAAAAAAAAAAAAAAAAAAAAA' } } });
const refused = await api.POST('/v1/token', { body: { org_id: orgId, key_id: keyId, secret: 'sk_live_wrong' } });
console.log(JSON.stringify({
  tokenType: exchanged.data.token_type,
  createdHasSecret: created.data.secret.startsWith('sk_'),
  fetchedName: key?.name,
  listed: listed.data?.data.some((k) => k.id === created.data.id),
  missing: [missing.response.status, missing.error?.error],
  refused: [refused.response.status, refused.error?.error],
}));
`,
    );
    await run(join(BIN, 'tsc'), ['-p', join(dir, 'tsconfig.json')]).catch((e: { stdout: string }) => {
      throw new Error(`the generated client does not compile:\n${e.stdout}`);
    });
    const { org, key, secret } = await createAdmin(inst.deps, inst.app);
    const srv = await listen(inst.app);
    try {
      const { stdout } = await run(process.execPath, [join(dir, 'out', 'client.js'), srv.url, org.id, key.id, secret]);
      expect(JSON.parse(stdout)).toEqual({
        tokenType: 'Bearer',
        createdHasSecret: true,
        fetchedName: 'from a generated client',
        listed: true,
        missing: [404, 'not_found'],
        refused: [401, 'invalid_client'],
      });
    } finally {
      await srv.close();
    }
  }, 60_000);
});
