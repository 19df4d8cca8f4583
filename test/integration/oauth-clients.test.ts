// An OAuth client nobody here wrote, configured the default way (issue 22, "how it is checked"):
// openid-client's discovery reads /.well-known/openid-configuration and gets tokens with client
// credentials, by secret in the body (its default) and by HTTP Basic.
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import * as client from 'openid-client';
import { createTestInstance, newPrefix, type TestInstance } from '../support/app.js';
import { createKey, createOrg } from '../support/fixtures.js';

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
