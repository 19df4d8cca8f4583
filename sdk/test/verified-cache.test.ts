// The verifier's cache of tokens already verified (issue 22, point 5): seeing a token again skips
// the signature check, while expiry, the signing key, revocation and scopes are checked every call.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createVerifier, ScopeAuthError, type Verifier, type VerifierOptions } from '../src/index.js';
import { eventually, fakeClock, sendJson, startStub } from './support/helpers.js';
import { LOCAL_ISSUER, startLocalIssuer, type LocalIssuer } from './support/local-issuer.js';

type SigningKey = { kid: string; jwk: JWK; privateKey: CryptoKey };
async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }, privateKey };
}

const clock = fakeClock();
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A JWKS published with max-age=5, whose keys the test changes, and a verifier on the test's clock. */
async function setup(options: Partial<VerifierOptions> = {}) {
  const key = await signingKey('k1');
  const published = { keys: [key.jwk] };
  const stub = await startStub((_req, res) => sendJson(res, 200, published, { 'cache-control': 'max-age=5' }));
  const v = createVerifier({
    issuer: LOCAL_ISSUER,
    audience: LOCAL_ISSUER,
    jwksUrl: `${stub.url}/jwks`,
    revocation: false,
    clock,
    ...options,
  });
  stops.push(
    () => v.close(),
    () => stub.close(),
  );
  const sign = (sub: string, scope = 'read') => {
    const iat = Math.floor(clock.now() / 1000);
    return new SignJWT({ client_id: sub, org_id: 'org_1', scope, jti: `jti-${sub}` })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_ISSUER)
      .setSubject(sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 900)
      .sign(key.privateKey);
  };
  return { v, sign, published };
}

async function outcome(v: Verifier, token: string, scopes?: string[]): Promise<string> {
  return v.verify(token, scopes ? { scopes } : undefined).then(
    () => 'ok',
    (e: unknown) => (e instanceof ScopeAuthError ? e.code : String(e)),
  );
}

describe('the verified-token cache', () => {
  it('answers a token seen before from the cache (the same frozen claims), and not with cacheSize 0', async () => {
    const { v, sign } = await setup();
    const token = await sign('key_a');
    const first = await v.verify(token);
    expect(Object.isFrozen(first)).toBe(true);
    expect(await v.verify(token)).toBe(first);

    const { v: uncached, sign: signUncached } = await setup({ cacheSize: 0 });
    const other = await signUncached('key_a');
    const a = await uncached.verify(other);
    expect(await uncached.verify(other)).not.toBe(a);
  });

  it('keeps at most cacheSize tokens, the oldest leaving first', async () => {
    const { v, sign } = await setup({ cacheSize: 2 });
    const [t1, t2, t3] = [await sign('key_1'), await sign('key_2'), await sign('key_3')];
    const c1 = await v.verify(t1);
    const c2 = await v.verify(t2);
    const c3 = await v.verify(t3);
    expect(await v.verify(t3)).toBe(c3);
    expect(await v.verify(t2)).toBe(c2);
    expect(await v.verify(t1)).not.toBe(c1); // evicted, verified afresh
  });

  it('still refuses a cached token once it expires', async () => {
    const { v, sign } = await setup({ clockTolerance: 5 });
    const token = await sign('key_a');
    await v.verify(token);
    clock.advance((900 + 4) * 1000);
    expect(await outcome(v, token)).toBe('ok');
    clock.advance(1_000);
    expect(await outcome(v, token)).toBe('token_expired');
  });

  it('still refuses a cached token once its signing key is withdrawn from the JWKS', async () => {
    const { v, sign, published } = await setup();
    const token = await sign('key_a');
    await v.verify(token);
    published.keys = [(await signingKey('k2')).jwk];
    clock.advance(4_000);
    expect(await outcome(v, token)).toBe('ok'); // the published set is still fresh
    clock.advance(2_000);
    expect(await outcome(v, token)).toBe('invalid_token');
  });

  it('checks scopes on every call', async () => {
    const { v, sign } = await setup({ requiredScopes: ['read'] });
    const token = await sign('key_a', 'read');
    expect(await outcome(v, token)).toBe('ok');
    expect(await outcome(v, token, ['write'])).toBe('insufficient_scope');
    expect(await outcome(v, token)).toBe('ok');
  });

  it('refuses a cached token as soon as its key is revoked', async () => {
    const issuer: LocalIssuer = await startLocalIssuer();
    const v = createVerifier({ issuer: LOCAL_ISSUER, audience: LOCAL_ISSUER, revocation: { authUrl: issuer.url } });
    stops.push(
      () => v.close(),
      () => issuer.close(),
    );
    await v.ready();
    const token = await issuer.sign({ sub: 'key_revoked_later' });
    expect(await outcome(v, token)).toBe('ok');
    expect(await outcome(v, token)).toBe('ok');
    issuer.revoke({ type: 'key', key_id: 'key_revoked_later' });
    await eventually(async () => (await outcome(v, token)) === 'token_revoked', 2_000, 'the revocation to reach the verifier');
  });

  it('refuses a cacheSize that is not a non-negative integer', () => {
    for (const cacheSize of [-1, 1.5, Number.NaN]) {
      expect(() => createVerifier({ issuer: LOCAL_ISSUER, audience: LOCAL_ISSUER, revocation: false, cacheSize })).toThrow(
        'cacheSize must be a non-negative integer',
      );
    }
  });
});
