// The verifier's JWKS cache follows the service's Cache-Control (issue 16, point 9): a signing key
// withdrawn from the JWKS stops verifying once the published max-age has passed. A real HTTP server
// serves a JWKS whose keys the tests change; time moves through the verifier's injected clock.
import type { IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createVerifier, ScopeAuthError, type Verifier } from '../src/index.js';
import { fakeClock, startStub } from './support/helpers.js';

const ISSUER = 'https://issuer.jwks.test';
type SigningKey = { kid: string; jwk: JWK; privateKey: CryptoKey };

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  return { kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }, privateKey };
}

/** A JWKS endpoint: `published` and `cacheControl` can change between requests; `status` other than 200 breaks it. */
async function startJwks(published: SigningKey[], cacheControl: string | undefined = 'public, max-age=5, must-revalidate') {
  const state = {
    published,
    cacheControl: cacheControl as string | undefined,
    status: 200 as number,
    requests: [] as IncomingHttpHeaders[],
  };
  const stub = await startStub((req, res) => {
    state.requests.push(req.headers);
    const body = JSON.stringify({ keys: state.published.map((k) => k.jwk) });
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
    const headers: Record<string, string> = { etag };
    if (state.cacheControl !== undefined) headers['cache-control'] = state.cacheControl;
    if (state.status !== 200) {
      res.writeHead(state.status, { 'content-type': 'application/json' });
      res.end('{"error":"internal_error","error_description":"down"}');
    } else if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
    } else {
      res.writeHead(200, { ...headers, 'content-type': 'application/jwk-set+json' });
      res.end(body);
    }
  });
  return { ...stub, state, jwksUrl: `${stub.url}/.well-known/jwks.json` };
}

const servers: { close(): Promise<void> }[] = [];
const verifiers: Verifier[] = [];
afterEach(async () => {
  for (const v of verifiers.splice(0)) await v.close();
  for (const s of servers.splice(0)) await s.close();
});

async function setup(published: SigningKey[], cacheControl?: string) {
  const server = await startJwks(published, ...(cacheControl === undefined ? [] : [cacheControl]));
  servers.push(server);
  const clock = fakeClock();
  const v = createVerifier({ issuer: ISSUER, audience: ISSUER, jwksUrl: server.jwksUrl, revocation: false, clock });
  verifiers.push(v);
  const sign = (key: SigningKey) =>
    new SignJWT({ client_id: 'key_1', org_id: 'org_1', scope: 'read', jti: `jti-${Math.random()}` })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(ISSUER)
      .setSubject('key_1')
      .setIssuedAt(Math.floor(clock.now() / 1000))
      .setExpirationTime(Math.floor(clock.now() / 1000) + 3 * 86_400)
      .sign(key.privateKey);
  return { server, clock, v, sign, fetches: () => server.state.requests.length };
}

async function outcome(v: Verifier, token: string): Promise<string> {
  return v.verify(token).then(
    () => 'ok',
    (e: unknown) => (e instanceof ScopeAuthError ? `${e.code}: ${e.description}` : String(e)),
  );
}

const NOT_ISSUER_KEY = 'invalid_token: token was not signed by a key of the issuer';
const UNAVAILABLE = 'unavailable: could not fetch the issuer signing keys';

it('stops accepting a withdrawn signing key once the JWKS max-age has passed', async () => {
  const [a, b] = [await signingKey('a'), await signingKey('b')];
  const { server, clock, v, sign, fetches } = await setup([a, b], 'public, max-age=5, must-revalidate');
  const [tokenA, tokenB] = [await sign(a), await sign(b)];
  expect(await outcome(v, tokenA)).toBe('ok');

  // signing-keys rotate --withdraw-previous: a leaves the JWKS.
  server.state.published = [b];
  clock.advance(4_000);
  expect(await outcome(v, tokenA)).toBe('ok'); // still within max-age: the cached set is used, no fetch
  expect(fetches()).toBe(1);

  clock.advance(1_001);
  expect(await outcome(v, tokenA)).toBe(NOT_ISSUER_KEY);
  expect(await outcome(v, tokenB)).toBe('ok');
  expect(fetches()).toBe(2);
});

it('asks for a JWK set and revalidates with If-None-Match, keeping the set on 304', async () => {
  const a = await signingKey('a');
  const { server, clock, v, sign, fetches } = await setup([a], 'max-age=60');
  const token = await sign(a);
  expect(await outcome(v, token)).toBe('ok');
  clock.advance(61_000);
  expect(await outcome(v, token)).toBe('ok');
  expect(fetches()).toBe(2);
  const [first, second] = server.state.requests;
  expect(first!.accept).toBe('application/jwk-set+json, application/json');
  expect(first!['if-none-match']).toBeUndefined();
  expect(second!['if-none-match']).toMatch(/^".+"$/);
  // The 304 renewed the max-age.
  clock.advance(59_000);
  expect(await outcome(v, token)).toBe('ok');
  expect(fetches()).toBe(2);
});

it.each(['no-store', 'no-cache', 'public, max-age=0'])(
  'revalidates on every use with "%s", at most once a second',
  async (cacheControl) => {
    const a = await signingKey('a');
    const { clock, v, sign, fetches } = await setup([a], cacheControl);
    const token = await sign(a);
    expect(await outcome(v, token)).toBe('ok');
    expect(await outcome(v, token)).toBe('ok');
    expect(fetches()).toBe(1);
    clock.advance(1_000);
    expect(await outcome(v, token)).toBe('ok');
    expect(fetches()).toBe(2);
  },
);

it('caps the max-age at a day and defaults it to 5 minutes', async () => {
  const a = await signingKey('a');
  const year = await setup([a], 'max-age=31536000');
  const token = await year.sign(a);
  expect(await outcome(year.v, token)).toBe('ok');
  year.clock.advance(86_399_000);
  expect(await outcome(year.v, token)).toBe('ok');
  expect(year.fetches()).toBe(1);
  year.clock.advance(1_000);
  expect(await outcome(year.v, token)).toBe('ok');
  expect(year.fetches()).toBe(2);

  const none = await setup([a], 'public');
  expect(await outcome(none.v, token)).toBe('ok');
  none.clock.advance(299_000);
  expect(await outcome(none.v, token)).toBe('ok');
  expect(none.fetches()).toBe(1);
  none.clock.advance(1_000);
  expect(await outcome(none.v, token)).toBe('ok');
  expect(none.fetches()).toBe(2);
});

it('refetches on an unknown kid at once, then at most once per 30 s cooldown', async () => {
  const [a, c] = [await signingKey('a'), await signingKey('c')];
  const { server, clock, v, sign, fetches } = await setup([a], 'max-age=3600');
  const tokenC = await sign(c);
  expect(await outcome(v, await sign(a))).toBe('ok');
  expect(fetches()).toBe(1);

  // Published since the last fetch: the unknown kid triggers a refetch, which finds it
  // (no fetch ever starts within a second of the previous one).
  server.state.published = [a, c];
  clock.advance(1_000);
  expect(await outcome(v, tokenC)).toBe('ok');
  expect(fetches()).toBe(2);

  // Tokens with kids nobody publishes cannot make the verifier hammer the service.
  const stranger = await signingKey('stranger');
  const forged = await sign(stranger);
  for (let i = 0; i < 5; i++) expect(await outcome(v, forged)).toBe(NOT_ISSUER_KEY);
  expect(fetches()).toBe(2);
  clock.advance(30_000);
  expect(await outcome(v, forged)).toBe(NOT_ISSUER_KEY);
  expect(fetches()).toBe(3);
});

it('does not use up the unknown-kid cooldown on a refetch the one-second floor skipped', async () => {
  const [a, c] = [await signingKey('a'), await signingKey('c')];
  const { server, clock, v, sign, fetches } = await setup([a], 'max-age=3600');
  const tokenC = await sign(c);
  expect(await outcome(v, await sign(a))).toBe('ok');
  // Within the second after that fetch, an unknown kid cannot refetch yet...
  server.state.published = [a, c];
  clock.advance(500);
  expect(await outcome(v, tokenC)).toBe(NOT_ISSUER_KEY);
  expect(fetches()).toBe(1);
  // ...and once the floor has passed it does, rather than waiting out a 30 s cooldown it never used.
  clock.advance(600);
  expect(await outcome(v, tokenC)).toBe('ok');
  expect(fetches()).toBe(2);
});

it('keeps a cached set through fetch failures for a bounded time, then fails closed with unavailable', async () => {
  const a = await signingKey('a');
  const { server, clock, v, sign, fetches } = await setup([a], 'max-age=5');
  const token = await sign(a);
  expect(await outcome(v, token)).toBe('ok');

  server.state.status = 500;
  clock.advance(6_000);
  expect(await outcome(v, token)).toBe('ok'); // stale, but the service cannot be asked
  expect(fetches()).toBe(2);
  clock.advance(5 * 60_000 - 2_000); // max-age + 5 min stale window, not quite over
  expect(await outcome(v, token)).toBe('ok');
  clock.advance(2_000);
  expect(await outcome(v, token)).toBe(UNAVAILABLE);
  const err = await v.verify(token).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'unavailable', status: 503 });

  server.state.status = 200;
  clock.advance(1_000);
  expect(await outcome(v, token)).toBe('ok');
});

it('answers unavailable, without a request per call, while the first fetch fails', async () => {
  const a = await signingKey('a');
  const { server, clock, v, sign, fetches } = await setup([a], 'max-age=5');
  server.state.status = 503;
  const token = await sign(a);
  for (let i = 0; i < 3; i++) expect(await outcome(v, token)).toBe(UNAVAILABLE);
  expect(fetches()).toBe(1);
  server.state.status = 200;
  clock.advance(1_000);
  expect(await outcome(v, token)).toBe('ok');
});

it('prefetches in ready() and shares one fetch between concurrent calls', async () => {
  const a = await signingKey('a');
  const ready = await setup([a], 'max-age=5');
  await ready.v.ready();
  expect(ready.fetches()).toBe(1);
  expect(await outcome(ready.v, await ready.sign(a))).toBe('ok');
  expect(ready.fetches()).toBe(1);

  const cold = await setup([a], 'max-age=5');
  const token = await cold.sign(a);
  expect(await Promise.all(Array.from({ length: 20 }, () => outcome(cold.v, token)))).toEqual(Array(20).fill('ok'));
  expect(cold.fetches()).toBe(1);
});
