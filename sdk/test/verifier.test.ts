import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { createTestInstance, listen, newPrefix, type TestInstance } from '../../test/support/app.js';
import { createKey, createOrg, exchange } from '../../test/support/fixtures.js';
import { TEST_ISSUER } from '../../test/support/env.js';
import { createVerifier, ScopeAuthError, type Verifier, type VerifierOptions } from '../src/index.js';
import { fakeClock, sendJson, startStub } from './support/helpers.js';

let inst: TestInstance;
let srv: Awaited<ReturnType<typeof listen>>;
let token: string;
let claims: JWTPayload;
let kid: string;

beforeAll(async () => {
  inst = await createTestInstance({ prefix: newPrefix() });
  srv = await listen(inst.app);
  const org = await createOrg(inst.deps);
  const { key, secret } = await createKey(inst.deps, org, { scopes: ['read', 'write'] });
  token = await exchange(inst.app, { org_id: org.id, key_id: key.id, secret });
  claims = decodeJwt(token);
  kid = decodeProtectedHeader(token).kid!;
});
afterAll(async () => {
  await srv.close();
  await inst.close();
});

const verifiers: Verifier[] = [];
function verifier(overrides: Partial<VerifierOptions> = {}): Verifier {
  const v = createVerifier({
    issuer: TEST_ISSUER,
    audience: TEST_ISSUER,
    jwksUrl: `${srv.url}/.well-known/jwks.json`,
    revocation: false,
    ...overrides,
  });
  verifiers.push(v);
  return v;
}
afterEach(async () => {
  for (const v of verifiers.splice(0)) await v.close();
});

async function rejection(p: Promise<unknown>): Promise<ScopeAuthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ScopeAuthError)) throw new Error(`expected a ScopeAuthError, got ${String(err)}`);
  return err;
}

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('createVerifier', () => {
  it('accepts a token from the service and returns its claims', async () => {
    const v = verifier({ requiredScopes: ['read'] });
    await v.ready();
    const c = await v.verify(token);
    expect(c).toMatchObject({ iss: TEST_ISSUER, sub: claims.sub, client_id: claims.sub, scope: 'read write', jti: claims.jti });
    expect(await v.verify(token, { scopes: ['write'] })).toEqual(c);
  });

  it('rejects a token signed by another key with the same kid and claims', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(privateKey);
    const err = await rejection(verifier().verify(forged));
    expect(err).toMatchObject({ code: 'invalid_token', status: 401, description: 'token signature is invalid' });
  });

  it('rejects a token signed by a key the issuer does not publish', async () => {
    const { privateKey } = await generateKeyPair('EdDSA');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'other', typ: 'at+jwt' }).sign(privateKey);
    expect(await rejection(verifier().verify(forged))).toMatchObject({ code: 'invalid_token' });
  });

  it('rejects a wrong audience', async () => {
    const err = await rejection(verifier({ audience: 'https://api.other.example' }).verify(token));
    expect(err).toMatchObject({ code: 'invalid_token', description: 'token has an unexpected audience' });
  });

  it('rejects a wrong issuer', async () => {
    const err = await rejection(verifier({ issuer: 'https://evil.example' }).verify(token));
    expect(err).toMatchObject({ code: 'invalid_token', description: 'token has an unexpected issuer' });
  });

  it('rejects alg "none"', async () => {
    const unsecured = `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims)}.`;
    const err = await rejection(verifier().verify(unsecured));
    expect(err).toMatchObject({ code: 'invalid_token', description: 'token algorithm is not allowed' });
  });

  it('rejects HS256 "signed" with the issuer public key bytes', async () => {
    const jwks = (await (await fetch(`${srv.url}/.well-known/jwks.json`)).json()) as { keys: { x: string }[] };
    const publicBytes = Buffer.from(jwks.keys[0]!.x, 'base64url');
    const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(publicBytes);
    const err = await rejection(verifier().verify(confused));
    expect(err).toMatchObject({ code: 'invalid_token', description: 'token algorithm is not allowed' });
    expect(() => createVerifier({ issuer: TEST_ISSUER, audience: TEST_ISSUER, revocation: false, algorithms: ['HS256'] })).toThrow(
      TypeError,
    );
    expect(() => createVerifier({ issuer: TEST_ISSUER, audience: TEST_ISSUER, revocation: false, algorithms: ['none'] })).toThrow(
      TypeError,
    );
  });

  it('rejects an expired token, within the clock tolerance it still passes', async () => {
    const clock = fakeClock((claims.exp! + 6) * 1000);
    expect(await rejection(verifier({ clock }).verify(token))).toMatchObject({ code: 'token_expired', status: 401 });
    const lenient = fakeClock((claims.exp! + 4) * 1000);
    await expect(verifier({ clock: lenient }).verify(token)).resolves.toMatchObject({ sub: claims.sub });
  });

  it('rejects a token missing a required scope with insufficient_scope', async () => {
    const err = await rejection(verifier({ requiredScopes: ['read', 'admin'] }).verify(token));
    expect(err).toMatchObject({ code: 'insufficient_scope', status: 403, scope: 'read admin', description: 'token lacks scope "admin"' });
    expect(await rejection(verifier().verify(token, { scopes: ['billing'] }))).toMatchObject({ code: 'insufficient_scope' });
  });

  it('refuses a clockTolerance over 60 s, the time the service keeps revocation entries past expiry', async () => {
    const build = (clockTolerance: number) => () =>
      createVerifier({ issuer: TEST_ISSUER, audience: TEST_ISSUER, revocation: false, clockTolerance });
    expect(build(61)).toThrow(TypeError);
    expect(build(61)).toThrow(/at most 60/);
    expect(build(Infinity)).toThrow(TypeError);
    await build(60)().close();
    await build(0)().close();
  });

  it('rejects a validly signed token past the length limit before parsing it', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'big', alg: 'EdDSA', use: 'sig' };
    const issuer = await startStub((_req, res) => sendJson(res, 200, { keys: [jwk] }));
    try {
      const sign = (pad: number) =>
        new SignJWT({ ...claims, pad: 'x'.repeat(pad) }).setProtectedHeader({ alg: 'EdDSA', kid: 'big', typ: 'at+jwt' }).sign(privateKey);
      const v = verifier({ jwksUrl: `${issuer.url}/jwks` });
      // One bound everywhere (issue 16, point 19): 8,192 characters, the service's own.
      const long = await sign(4_100);
      expect(long.length).toBeGreaterThan(6_000);
      expect(long.length).toBeLessThan(6_100);
      await expect(v.verify(long)).resolves.toMatchObject({ sub: claims.sub });
      const tooLong = await sign(6_500);
      expect(tooLong.length).toBeGreaterThan(9_000);
      expect(await rejection(v.verify(tooLong))).toMatchObject({ code: 'invalid_token', status: 401, description: 'token is too long' });
    } finally {
      await issuer.close();
    }
  });

  it('rejects garbage', async () => {
    for (const bad of ['', 'abc', 'a.b.c', `${token}x`]) {
      expect(await rejection(verifier().verify(bad))).toMatchObject({ code: 'invalid_token', status: 401 });
    }
  });

  it('answers unavailable when the JWKS cannot be fetched', async () => {
    const err = await rejection(verifier({ jwksUrl: 'http://127.0.0.1:1/.well-known/jwks.json' }).verify(token));
    expect(err).toMatchObject({ code: 'unavailable', status: 503 });
  });

  it('refuses to be built without an explicit revocation choice', () => {
    expect(() => createVerifier({ issuer: TEST_ISSUER, audience: TEST_ISSUER } as VerifierOptions)).toThrow(/revocation is required/);
  });
});

describe('claims checked against a JWKS we control (local stub issuer)', () => {
  it('rejects a well-signed token whose typ is not at+jwt', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    const issuer = await startStub((_req, res) => sendJson(res, 200, { keys: [jwk] }));
    try {
      const sign = (typ: string) => new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ }).sign(privateKey);
      const v = verifier({ jwksUrl: `${issuer.url}/jwks` });
      await expect(v.verify(await sign('at+jwt'))).resolves.toMatchObject({ sub: claims.sub });
      await expect(v.verify(await sign('application/at+jwt'))).resolves.toMatchObject({ sub: claims.sub });
      const err = await rejection(v.verify(await sign('JWT')));
      expect(err).toMatchObject({ code: 'invalid_token', description: 'token is not an access token (typ must be "at+jwt")' });
    } finally {
      await issuer.close();
    }
  });

  it('rejects a token without jti', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' };
    const issuer = await startStub((_req, res) => sendJson(res, 200, { keys: [jwk] }));
    try {
      const withoutJti: JWTPayload = { ...claims };
      delete withoutJti.jti;
      const t = await new SignJWT(withoutJti).setProtectedHeader({ alg: 'ES256', kid: 'k2', typ: 'at+jwt' }).sign(privateKey);
      expect(await rejection(verifier({ jwksUrl: `${issuer.url}/jwks` }).verify(t))).toMatchObject({
        code: 'invalid_token',
        description: 'token has no "jti" claim',
      });
    } finally {
      await issuer.close();
    }
  });
});
