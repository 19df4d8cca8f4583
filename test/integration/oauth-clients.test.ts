// OAuth clients nobody here wrote, configured the default way (issue 22, "how it is checked"):
// openid-client's discovery reads /.well-known/openid-configuration and gets tokens with client
// credentials, by secret in the body (its default) and by HTTP Basic; simple-oauth2 with nothing but
// the host; Debian's authlib and requests-oauthlib with the token endpoint from RFC 8414 metadata.
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import * as client from 'openid-client';
import { createTestInstance, newPrefix, type TestInstance } from '../support/app.js';
import { createKey, createOrg } from '../support/fixtures.js';
import { runPython } from '../support/python.js';

/** The part of simple-oauth2 (CommonJS, no bundled types) used here. */
type SimpleOAuth2 = {
  ClientCredentials: new (config: { client: { id: string; secret: string }; auth: { tokenHost: string } }) => {
    getToken(params: Record<string, string>): Promise<{ token: Record<string, unknown> }>;
  };
};
const require = createRequire(import.meta.url);

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

let inst: TestInstance;
let server: Server;
let issuer: string;
beforeAll(async () => {
  // Discovery checks that the document's issuer is where it was fetched: ISSUER is the real address.
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  inst = await createTestInstance({ prefix: newPrefix(), env: { ISSUER: issuer } });
  server = createServer(inst.app);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await inst.close();
});

describe('openid-client', () => {
  it.each([
    ['client_secret_post (its default)', undefined],
    ['client_secret_basic', client.ClientSecretBasic],
  ] as const)('discovers the server and gets a token with %s', async (_name, method) => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org, { scopes: ['read', 'write'], audiences: ['https://api.example.test'] });
    const config = await client.discovery(new URL(issuer), key.id, secret, method?.(secret), { execute: [client.allowInsecureRequests] });
    expect(config.serverMetadata().token_endpoint).toBe(`${issuer}/oauth/token`);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read', resource: 'https://api.example.test' });
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'read', expires_in: 900 });
    expect(JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString())).toMatchObject({
      iss: issuer,
      sub: key.id,
      aud: 'https://api.example.test',
    });
  });
});

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function newKey() {
  const org = await createOrg(inst.deps);
  return createKey(inst.deps, org, { scopes: ['read', 'write'], audiences: ['https://api.example.test'] });
}

describe('simple-oauth2', () => {
  it('gets a token with its defaults (tokenPath /oauth/token, HTTP Basic)', async () => {
    const { ClientCredentials } = require('simple-oauth2') as SimpleOAuth2;
    const { key, secret } = await newKey();
    const oauth = new ClientCredentials({ client: { id: key.id, secret }, auth: { tokenHost: issuer } });
    const { token } = await oauth.getToken({ scope: 'read', resource: 'https://api.example.test' });
    expect(token).toMatchObject({ token_type: 'Bearer', scope: 'read', expires_in: 900 });
    expect(claimsOf(token.access_token as string)).toMatchObject({ iss: issuer, sub: key.id, aud: 'https://api.example.test' });
  });

  it('surfaces our invalid_client on a wrong secret', async () => {
    const { ClientCredentials } = require('simple-oauth2') as SimpleOAuth2;
    const { key } = await newKey();
    const oauth = new ClientCredentials({ client: { id: key.id, secret: 'sk_test_wrong' }, auth: { tokenHost: issuer } });
    const err = (await oauth.getToken({ scope: 'read' }).catch((e: unknown) => e)) as {
      output?: { statusCode: number };
      data?: { payload?: unknown };
    };
    expect(err.output?.statusCode).toBe(401);
    expect(err.data?.payload).toMatchObject({ error: 'invalid_client' });
  });
});

// Both refuse plain http unless told: the test instance is http on 127.0.0.1, a deployment is https.
const PYTHON_CLIENTS = `
import json, os, sys
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
import requests
t = json.load(sys.stdin)
token_endpoint = requests.get(t["issuer"] + "/.well-known/oauth-authorization-server").json()["token_endpoint"]
out = {}

def authlib_client():
    from authlib.integrations.requests_client import OAuth2Session
    with OAuth2Session(t["client_id"], t["client_secret"], scope="read") as s:
        return s.fetch_token(token_endpoint, grant_type="client_credentials", resource="https://api.example.test")

# As its documentation shows the backend application flow: no scope asked, so the key's scopes come back.
def requests_oauthlib_client():
    from oauthlib.oauth2 import BackendApplicationClient
    from requests_oauthlib import OAuth2Session
    s = OAuth2Session(client=BackendApplicationClient(client_id=t["client_id"]))
    return s.fetch_token(token_endpoint, client_id=t["client_id"], client_secret=t["client_secret"], resource="https://api.example.test")

for name, fn in (("authlib", authlib_client), ("requests-oauthlib", requests_oauthlib_client)):
    try:
        tok = fn()
        out[name] = {k: tok.get(k) for k in ("access_token", "token_type", "scope", "expires_in")}
    except Exception as e:
        out[name] = {"error": "%s: %s" % (type(e).__name__, e)}
print(json.dumps(out))
`;

describe("Debian's Python OAuth clients", () => {
  type Answer = { access_token?: string; token_type?: string; scope?: unknown; expires_in?: number; error?: string };
  const run = async (clientId: string, clientSecret: string) =>
    JSON.parse(await runPython(PYTHON_CLIENTS, JSON.stringify({ issuer, client_id: clientId, client_secret: clientSecret }))) as Record<
      'authlib' | 'requests-oauthlib',
      Answer
    >;

  it("authlib (scope read) and requests-oauthlib (no scope: all of the key's) get tokens from the endpoint the metadata names", async () => {
    const { key, secret } = await newKey();
    const answers = await run(key.id, secret);
    const expected = { authlib: 'read', 'requests-oauthlib': 'read write' };
    for (const name of ['authlib', 'requests-oauthlib'] as const) {
      const a = answers[name];
      expect({ name, error: a.error, token_type: a.token_type, expires_in: a.expires_in }).toEqual({
        name,
        error: undefined,
        token_type: 'Bearer',
        expires_in: 900,
      });
      expect(claimsOf(a.access_token!)).toMatchObject({ iss: issuer, sub: key.id, scope: expected[name], aud: 'https://api.example.test' });
    }
  });

  it('both report our invalid_client on a wrong secret', async () => {
    const { key } = await newKey();
    const answers = await run(key.id, 'sk_test_wrong');
    expect(answers.authlib.error).toMatch(/invalid_client/);
    expect(answers['requests-oauthlib'].error).toMatch(/invalid_client/);
  });
});
