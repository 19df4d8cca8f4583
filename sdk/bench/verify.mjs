// Verifier throughput against plain jose jwtVerify on the same tokens and the same remote JWKS:
// tokens the verifier has seen (its cache answers; target ≥ 50 x jose) and first-seen tokens (a
// cache smaller than the token set, so every call misses; target ≥ 0.95 x jose). Memory of the
// cache under a million distinct tokens: sdk/bench/cache-memory.mjs.
// Run after `npm run build --workspace sdk`:  node sdk/bench/verify.mjs [seconds per round]
// One process, one core; a local HTTP server stands in for the auth service (JWKS, a revocation
// feed holding 10,000 entries, an idle SSE stream). Not part of the tests.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createVerifier } from '../dist/index.js';

const ISSUER = 'https://auth.bench.test';
const TOKENS = 1_000;
const REVOKED_ENTRIES = 10_000;
const ROUND_SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = 3;

const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256', use: 'sig' };
const now = Math.floor(Date.now() / 1000);
const revocations = Array.from({ length: REVOKED_ENTRIES }, (_, i) =>
  i % 2
    ? { seq: i + 1, type: 'key', key_id: `key_revoked_${i}`, revoked_at: now, expires_at: now + 900 }
    : { seq: i + 1, type: 'token', key_id: `key_x_${i}`, jti: randomUUID(), revoked_at: now, expires_at: now + 900 },
);

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/.well-known/jwks.json') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  } else if (path === '/v1/revocations') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ revocations, last_seq: REVOKED_ENTRIES }));
  } else if (path === '/v1/revocations/stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': ping\n\n');
  } else res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const authUrl = `http://127.0.0.1:${server.address().port}`;

const tokens = await Promise.all(
  Array.from({ length: TOKENS }, (_, i) =>
    new SignJWT({ client_id: `key_${i}`, org_id: 'org_bench', scope: 'read write', env: 'live', jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'bench-1', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(ISSUER)
      .setSubject(`key_${i}`)
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(privateKey),
  ),
);

const jwks = createRemoteJWKSet(new URL(`${authUrl}/.well-known/jwks.json`));
const joseOptions = { issuer: ISSUER, audience: ISSUER, typ: 'at+jwt', algorithms: ['ES256', 'EdDSA', 'RS256'] };
const verifier = createVerifier({ issuer: ISSUER, audience: ISSUER, requiredScopes: ['read'], revocation: { authUrl } });
// FIFO eviction with one slot fewer than the tokens cycled through: every call is a miss.
const firstSeen = createVerifier({
  issuer: ISSUER,
  audience: ISSUER,
  requiredScopes: ['read'],
  revocation: { authUrl },
  cacheSize: TOKENS - 1,
});
await Promise.all([verifier.ready(), firstSeen.ready()]);

const contenders = {
  'jose jwtVerify': (t) => jwtVerify(t, jwks, joseOptions),
  'sdk seen': (t) => verifier.verify(t),
  'sdk first-seen': (t) => firstSeen.verify(t),
};

async function round(fn, seconds) {
  const start = performance.now();
  const end = start + seconds * 1000;
  let ops = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await fn(tokens[(ops + i) % TOKENS]);
    ops += 100;
  }
  return (ops * 1000) / (performance.now() - start);
}

for (const fn of Object.values(contenders)) await round(fn, 0.5); // warm up JIT and key caches
const best = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(contenders)) best[name] = Math.max(best[name] ?? 0, await round(fn, ROUND_SECONDS));
}

for (const [name, opsPerSecond] of Object.entries(best))
  console.log(`${name.padEnd(22)} ${Math.round(opsPerSecond).toLocaleString('en')} ops/s`);
const seen = best['sdk seen'] / best['jose jwtVerify'];
const first = best['sdk first-seen'] / best['jose jwtVerify'];
console.log(`seen / jose            ${seen.toFixed(1)} (target ≥ 50) ${seen >= 50 ? 'PASS' : 'MISS'}`);
console.log(`first-seen / jose      ${first.toFixed(3)} (target ≥ 0.95) ${first >= 0.95 ? 'PASS' : 'MISS'}`);
console.log(`(revocation list: ${REVOKED_ENTRIES.toLocaleString('en')} entries, best of ${ROUNDS} rounds of ${ROUND_SECONDS} s)`);

await Promise.all([verifier.close(), firstSeen.close()]);
server.closeAllConnections();
server.close();
