// Plain http to a host other than localhost sends API secrets and tokens in clear, and lets anyone on
// the path swap the JWKS or hide revocations: the SDK says so once per client, as a process warning
// (it never logs through the console).
import { runInThisContext } from 'node:vm';
import { createVerifier, TokenClient, type VerifierOptions } from '../src/index.js';

// Jest hands each test file a copy of `process` with listeners of its own, while
// process.emitWarning emits on Node's real process object: listen there.
const realProcess = runInThisContext('process') as NodeJS.Process;

const CODE = 'SCOPE_AUTH_INSECURE_URL';
const warnings: Error[] = [];
const onWarning = (w: Error) => {
  if ((w as Error & { code?: string }).code === CODE) warnings.push(w);
};
beforeEach(() => {
  warnings.length = 0;
  realProcess.on('warning', onWarning);
});
afterEach(() => {
  realProcess.off('warning', onWarning);
});

// process.emitWarning emits on the next tick.
const settle = () => new Promise((resolve) => setImmediate(resolve));

const credentials = { orgId: 'org_x', apiKey: 'key_x', apiSecret: 'sk_test_not-a-real-secret' };
const offline = () => Promise.reject(new Error('offline'));

function client(authUrl: string): void {
  new TokenClient({ ...credentials, authUrl, fetch: offline }).close();
}

async function verifier(options: Partial<VerifierOptions>): Promise<void> {
  const v = createVerifier({ issuer: 'https://auth.example.com', audience: 'api', revocation: false, ...options });
  await v.close();
}

describe('TokenClient', () => {
  it('warns once per client on a plain http authUrl outside localhost, without the URL credentials', async () => {
    client('http://user:hunter2@auth.example.com:8080/base');
    await settle();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('authUrl');
    expect(warnings[0]!.message).toContain('http://auth.example.com:8080');
    expect(warnings[0]!.message).not.toContain('hunter2');

    client('http://auth.example.com');
    await settle();
    expect(warnings).toHaveLength(2);
  });

  it('stays quiet for https and for localhost, 127.0.0.0/8 and [::1]', async () => {
    for (const url of [
      'https://auth.example.com',
      'http://localhost:3000',
      'http://127.0.0.1:3000',
      'http://127.8.9.10',
      'http://[::1]:8080',
    ]) {
      client(url);
    }
    await settle();
    expect(warnings).toEqual([]);
  });
});

describe('createVerifier', () => {
  it('warns once per verifier on a plain http revocation.authUrl or jwksUrl outside localhost', async () => {
    // The JWKS defaults to {authUrl}/.well-known/jwks.json: two insecure URLs, one warning naming both.
    await verifier({ revocation: { authUrl: 'http://auth.example.com', fetch: offline } });
    await settle();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('revocation.authUrl');
    expect(warnings[0]!.message).toContain('jwksUrl');

    await verifier({ jwksUrl: 'http://10.1.2.3/.well-known/jwks.json' });
    await settle();
    expect(warnings).toHaveLength(2);
    expect(warnings[1]!.message).toContain('jwksUrl');
  });

  it('stays quiet for https and loopback URLs', async () => {
    await verifier({});
    await verifier({ jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' });
    await verifier({ revocation: { authUrl: 'http://localhost:9', fetch: offline } });
    await settle();
    expect(warnings).toEqual([]);
  });
});
