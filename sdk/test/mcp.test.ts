// MCP-ready resource servers (issue 22, point 6): RFC 9728 metadata, `resource_metadata` in every
// challenge, exact audience on the canonical resource URI, and the MCP TypeScript SDK's own
// bearer-auth middleware driven by our verifier through its OAuthTokenVerifier interface.
import express from 'express';
import request from 'supertest';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { createTestInstance, listen, newPrefix, type TestInstance } from '../../test/support/app.js';
import { createKey, createOrg, exchange } from '../../test/support/fixtures.js';
import { TEST_ISSUER } from '../../test/support/env.js';
import { createVerifier, mcpTokenVerifier, protectedResourceMetadata, requireAuth, type Claims, type Verifier } from '../src/index.js';

const RESOURCE = 'https://mcp.example.test/mcp';
let inst: TestInstance;
let srv: Awaited<ReturnType<typeof listen>>;
let verifier: Verifier;
let mcpToken: string;
let otherToken: string;

beforeAll(async () => {
  inst = await createTestInstance({ prefix: newPrefix() });
  srv = await listen(inst.app);
  verifier = createVerifier({ issuer: TEST_ISSUER, audience: RESOURCE, jwksUrl: `${srv.url}/.well-known/jwks.json`, revocation: false });
  const org = await createOrg(inst.deps);
  const { key, secret } = await createKey(inst.deps, org, {
    scopes: ['tools:call', 'tools:list'],
    audiences: [RESOURCE, `${RESOURCE}/other`],
  });
  mcpToken = await exchange(inst.app, { org_id: org.id, key_id: key.id, secret, audience: RESOURCE });
  otherToken = await exchange(inst.app, { org_id: org.id, key_id: key.id, secret, audience: `${RESOURCE}/other` });
});
afterAll(async () => {
  await verifier.close();
  await srv.close();
  await inst.close();
});

const metadata = () =>
  protectedResourceMetadata({ resource: RESOURCE, authorizationServers: [TEST_ISSUER], scopes: ['tools:call', 'tools:list'] });

describe('protectedResourceMetadata', () => {
  it('serves the RFC 9728 document under the resource path and at the root', async () => {
    const prm = metadata();
    const app = express().use(prm);
    expect(prm.metadataUrl).toBe('https://mcp.example.test/.well-known/oauth-protected-resource/mcp');
    const expected = {
      resource: RESOURCE,
      authorization_servers: [TEST_ISSUER],
      bearer_methods_supported: ['header'],
      scopes_supported: ['tools:call', 'tools:list'],
    };
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const res = await request(app).get(path).expect(200);
      expect(res.body).toEqual(expected);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
    await request(app).get('/other').expect(404);
  });

  it('refuses a resource that is not a canonical URI', () => {
    for (const resource of [
      'mcp.example.test',
      'https://MCP.example.test/mcp',
      'https://mcp.example.test/mcp#x',
      'https://mcp.example.test/mcp?q=1',
      'ftp://mcp.example.test',
    ]) {
      expect(() => protectedResourceMetadata({ resource, authorizationServers: [TEST_ISSUER] })).toThrow(TypeError);
    }
  });
});

describe('requireAuth with resourceMetadataUrl', () => {
  const app = () => {
    const prm = metadata();
    return express()
      .use(prm)
      .get('/mcp', requireAuth({ verifier, scopes: ['tools:call'], resourceMetadataUrl: prm.metadataUrl }), (req, res) => {
        res.json({ sub: (req as { auth?: Claims }).auth?.sub });
      })
      .get('/admin', requireAuth({ verifier, scopes: ['admin'], resourceMetadataUrl: prm.metadataUrl }), (_req, res) => {
        res.json({});
      });
  };
  const named = 'resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"';

  it('names the metadata in every 401 and 403 challenge, with the scope in insufficient_scope', async () => {
    const bare = await request(app()).get('/mcp').expect(401);
    expect(bare.headers['www-authenticate']).toBe(`Bearer realm="scope-auth", ${named}`);
    const bad = await request(app()).get('/mcp').set('Authorization', `Bearer ${otherToken}`).expect(401);
    expect(bad.headers['www-authenticate']).toBe(
      `Bearer realm="scope-auth", ${named}, error="invalid_token", error_description="token has an unexpected audience"`,
    );
    const scope = await request(app()).get('/admin').set('Authorization', `Bearer ${mcpToken}`).expect(403);
    expect(scope.headers['www-authenticate']).toBe(
      `Bearer realm="scope-auth", ${named}, error="insufficient_scope", error_description="token lacks scope 'admin'", scope="admin"`,
    );
    await request(app()).get('/mcp').set('Authorization', `Bearer ${mcpToken}`).expect(200);
  });
});

describe("the MCP TypeScript SDK's requireBearerAuth with mcpTokenVerifier", () => {
  const app = () => {
    const prm = metadata();
    return express()
      .use(prm)
      .post(
        '/mcp',
        requireBearerAuth({
          verifier: mcpTokenVerifier(verifier, { resource: RESOURCE }),
          requiredScopes: ['tools:call'],
          resourceMetadataUrl: prm.metadataUrl,
          expectedResource: new URL(RESOURCE),
        }),
        (req, res) => {
          res.json(req.auth);
        },
      );
  };

  it('hands the MCP SDK the token, client ID, scopes, expiry and resource', async () => {
    const res = await request(app()).post('/mcp').set('Authorization', `Bearer ${mcpToken}`).expect(200);
    const claims = JSON.parse(Buffer.from(mcpToken.split('.')[1]!, 'base64url').toString()) as {
      client_id: string;
      exp: number;
      sub: string;
    };
    expect(res.body).toMatchObject({
      token: mcpToken,
      clientId: claims.client_id,
      scopes: ['tools:call', 'tools:list'],
      expiresAt: claims.exp,
      resource: RESOURCE,
      extra: { sub: claims.sub },
    });
  });

  it("answers with the MCP SDK's 401 for a token of another resource, and 403 for a missing scope", async () => {
    const other = await request(app()).post('/mcp').set('Authorization', `Bearer ${otherToken}`).expect(401);
    expect(other.body.error).toBe('invalid_token');
    expect(other.headers['www-authenticate']).toContain(
      'resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"',
    );
    const noScope = express().post(
      '/mcp',
      requireBearerAuth({ verifier: mcpTokenVerifier(verifier, { resource: RESOURCE }), requiredScopes: ['admin'] }),
      (_req, res) => {
        res.json({});
      },
    );
    expect((await request(noScope).post('/mcp').set('Authorization', `Bearer ${mcpToken}`).expect(403)).body.error).toBe(
      'insufficient_scope',
    );
  });
});
