// The MCP TypeScript SDK's own client against a small MCP server protected by our requireAuth
// (issue 22, point 6). The RFC 9728 walk is done here as the MCP spec describes it (401 challenge →
// protected-resource metadata → authorization server metadata → client credentials with `resource`):
// the MCP SDK's own ClientCredentialsProvider cannot, since its metadata schema (1.32) requires an
// `authorization_endpoint`, which a client-credentials-only server does not have (the test below
// records that, so it fails, and says so, when the SDK lifts the requirement).
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
import { createVerifier, protectedResourceMetadata, requireAuth, type Verifier } from '../src/index.js';

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
let verifier: Verifier;
let issuer: string;
let resource: string;

beforeAll(async () => {
  // The service's ISSUER must be where it really answers: the MCP client fetches its metadata there.
  const authPort = await freePort();
  issuer = `http://127.0.0.1:${authPort}`;
  inst = await createTestInstance({ prefix: newPrefix(), env: { ISSUER: issuer } });
  authServer = createHttpServer(inst.app);
  await listenOn(authServer, authPort);

  const mcpPort = await freePort();
  resource = `http://127.0.0.1:${mcpPort}/mcp`;
  verifier = createVerifier({ issuer, audience: resource, revocation: { authUrl: issuer } });
  const prm = protectedResourceMetadata({ resource, authorizationServers: [issuer], scopes: ['tools:call'] });
  const app = express().use(express.json()).use(prm);
  app.post('/mcp', requireAuth({ verifier, scopes: ['tools:call'], resourceMetadataUrl: prm.metadataUrl }), async (req, res) => {
    const server = new McpServer({ name: 'orders', version: '1.0.0' });
    server.registerTool('whoami', { description: 'the caller' }, () => ({
      content: [{ type: 'text', text: `org ${String((req as { auth?: { org_id: string } }).auth?.org_id)}` }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close());
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  mcpServer = createHttpServer(app);
  await listenOn(mcpServer, mcpPort);
}, 60_000);
afterAll(async () => {
  await verifier.close();
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

it("records that the MCP SDK's ClientCredentialsProvider requires an authorization_endpoint in the server metadata", async () => {
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
