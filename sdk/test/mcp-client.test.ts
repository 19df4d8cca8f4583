// The MCP TypeScript SDK's own client against a small MCP server protected by our middleware
// (issue 22, point 6), two ways: the RFC 9728 walk done by hand as the MCP spec describes it (401
// challenge → protected-resource metadata → authorization server metadata → client credentials with
// `resource`), and the MCP SDK's own ClientCredentialsProvider doing it all itself. That provider's
// discovery (1.32) validates RFC 8414 metadata with a schema that requires `authorization_endpoint`,
// which RFC 8414 §2 makes optional when no grant type uses it — our server has none, and advertises
// none rather than an endpoint that cannot work. The SDK's documented way past discovery,
// `discoveryState()`, takes the server's real metadata as fetched (below: `withServerMetadata`).
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import express from 'express';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createTestInstance, newPrefix, type TestInstance } from '../../test/support/app.js';
import { createKey, createOrg } from '../../test/support/fixtures.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { createVerifier, mcpTokenVerifier, protectedResourceMetadata, requireAuth, type Verifier } from '../src/index.js';

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}
const listenOn = (server: Server, port: number) => new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
const closeServer = (server: Server) =>
  new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });

let inst: TestInstance;
let authServer: Server;
let mcpServer: Server;
const verifiers: Verifier[] = [];
let issuer: string;
/** The MCP server's endpoint guarded by our requireAuth. */
let resource: string;
/** The same MCP server's endpoint guarded by the MCP SDK's requireBearerAuth with our mcpTokenVerifier. */
let adapterResource: string;

/** A stateless MCP server with one tool, `whoami`, answering the caller's org. */
async function handleMcp(req: express.Request, res: express.Response, orgId: unknown): Promise<void> {
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  server.registerTool('whoami', { description: 'the caller' }, () => ({ content: [{ type: 'text', text: `org ${String(orgId)}` }] }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => void transport.close());
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
}

beforeAll(async () => {
  // The service's ISSUER must be where it really answers: the MCP client fetches its metadata there.
  const authPort = await freePort();
  issuer = `http://127.0.0.1:${authPort}`;
  inst = await createTestInstance({ prefix: newPrefix(), env: { ISSUER: issuer } });
  authServer = createHttpServer(inst.app);
  await listenOn(authServer, authPort);

  const mcpPort = await freePort();
  resource = `http://127.0.0.1:${mcpPort}/mcp`;
  adapterResource = `http://127.0.0.1:${mcpPort}/mcp-adapter`;
  const verifierFor = (audience: string) => {
    const v = createVerifier({ issuer, audience, revocation: { authUrl: issuer } });
    verifiers.push(v);
    return v;
  };
  const prm = protectedResourceMetadata({ resource, authorizationServers: [issuer], scopes: ['tools:call'] });
  const adapterPrm = protectedResourceMetadata({ resource: adapterResource, authorizationServers: [issuer], scopes: ['tools:call'] });
  const app = express().use(express.json()).use(prm).use(adapterPrm);
  app.post(
    '/mcp',
    requireAuth({ verifier: verifierFor(resource), scopes: ['tools:call'], resourceMetadataUrl: prm.metadataUrl }),
    (req, res) => handleMcp(req, res, (req as { auth?: { org_id: string } }).auth?.org_id),
  );
  app.post(
    '/mcp-adapter',
    requireBearerAuth({
      verifier: mcpTokenVerifier(verifierFor(adapterResource), { resource: adapterResource }),
      requiredScopes: ['tools:call'],
      resourceMetadataUrl: adapterPrm.metadataUrl,
    }),
    (req, res) => handleMcp(req, res, req.auth?.extra?.orgId),
  );
  mcpServer = createHttpServer(app);
  await listenOn(mcpServer, mcpPort);
}, 60_000);
afterAll(async () => {
  for (const v of verifiers) await v.close();
  await closeServer(mcpServer);
  await closeServer(authServer);
  await inst.close();
});

/** What an MCP client does on a 401 (MCP authorization spec; RFC 9728 §5, RFC 8414, RFC 8707). */
async function discoverAndGetToken(clientId: string, clientSecret: string): Promise<string> {
  const challenge = await fetch(resource, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(challenge.status).toBe(401);
  const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1];
  const prm = (await (await fetch(metadataUrl!)).json()) as {
    resource: string;
    authorization_servers: string[];
    scopes_supported: string[];
  };
  expect(prm.resource).toBe(resource);
  const as = (await (await fetch(`${prm.authorization_servers[0]}/.well-known/oauth-authorization-server`)).json()) as {
    issuer: string;
    token_endpoint: string;
  };
  expect(as.issuer).toBe(issuer);
  const res = await fetch(as.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: prm.scopes_supported.join(' '), resource: prm.resource }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

it("lets the MCP SDK's client call a tool with a token found through the RFC 9728 walk", async () => {
  const org = await createOrg(inst.deps);
  const { key, secret } = await createKey(inst.deps, org, { scopes: ['tools:call'], audiences: [resource] });
  const token = await discoverAndGetToken(key.id, secret);
  expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).toMatchObject({
    aud: resource,
    sub: key.id,
    scope: 'tools:call',
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  try {
    await client.connect(
      new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
    );
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: `org ${org.id}` }]);
  } finally {
    await client.close();
  }
});

/**
 * The MCP SDK's documented way past its own discovery (`OAuthClientProvider.discoveryState()`): the
 * authorization server's RFC 8414 metadata as the server serves it, its issuer checked (RFC 8414 §3.3).
 */
async function withServerMetadata(provider: ClientCredentialsProvider, authorizationServer: string) {
  const metadata = (await (await fetch(`${authorizationServer}/.well-known/oauth-authorization-server`)).json()) as { issuer: string };
  if (metadata.issuer !== authorizationServer) throw new Error(`metadata of ${authorizationServer} names issuer ${metadata.issuer}`);
  // `as never`: the SDK's type demands authorization_endpoint too; its non-interactive flow never reads it.
  return Object.assign(provider, {
    discoveryState: () => ({ authorizationServerUrl: authorizationServer, authorizationServerMetadata: metadata as never }),
  });
}

describe("the MCP SDK's ClientCredentialsProvider", () => {
  it.each([
    ['requireAuth', () => resource],
    ["the MCP SDK's requireBearerAuth with mcpTokenVerifier", () => adapterResource],
  ])('logs in with client credentials and calls a tool on a server guarded by %s', async (_guard, resourceOf) => {
    const target = resourceOf();
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org, { scopes: ['tools:call', 'tools:list'], audiences: [target] });
    const authProvider = await withServerMetadata(
      new ClientCredentialsProvider({ clientId: key.id, clientSecret: secret, scope: 'tools:call', expectedIssuer: issuer }),
      issuer,
    );
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(target), { authProvider }));
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      expect(result.content).toEqual([{ type: 'text', text: `org ${org.id}` }]);
    } finally {
      await client.close();
    }
    // It ran the flow itself: a token for exactly this resource (RFC 8707), narrowed to the scope asked.
    const token = authProvider.tokens()!.access_token;
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).toMatchObject({
      aud: target,
      sub: key.id,
      scope: 'tools:call',
    });
  });

  it('is refused with a wrong secret, and holds no token', async () => {
    const org = await createOrg(inst.deps);
    const { key } = await createKey(inst.deps, org, { scopes: ['tools:call'], audiences: [resource] });
    const authProvider = await withServerMetadata(
      new ClientCredentialsProvider({ clientId: key.id, clientSecret: 'sk_test_wrong', scope: 'tools:call', expectedIssuer: issuer }),
      issuer,
    );
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    const failure = await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider })).then(
      () => 'connected',
      (err: unknown) => String(err),
    );
    await client.close();
    expect(failure).toMatch(/invalid_client|client authentication failed/i);
    expect(authProvider.tokens()).toBeUndefined();
  });

  it('without discoveryState, still refuses our metadata for its missing authorization_endpoint (fails once the SDK follows RFC 8414 §2)', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org, { scopes: ['tools:call'], audiences: [resource] });
    const authProvider = new ClientCredentialsProvider({
      clientId: key.id,
      clientSecret: secret,
      scope: 'tools:call',
      expectedIssuer: issuer,
    });
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    const failure = await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider })).then(
      () => 'connected',
      (err: unknown) => String(err),
    );
    await client.close();
    expect(failure).toContain('authorization_endpoint');
  });
});
