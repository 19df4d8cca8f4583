// Verifier throughput on one core: the SDK's verifier against plain jose jwtVerify (same options,
// same cached remote JWKS) on the same real tokens. Runs alone in its own process; rounds of each
// contender alternate (ABC CBA …). Receives one job over IPC, answers with ops/s per round.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createVerifier } from '../sdk/dist/index.js';

async function round(fn, tokens, ms) {
  const start = performance.now();
  const end = start + ms;
  let ops = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await fn(tokens[(ops + i) % tokens.length]);
    ops += 100;
  }
  return (ops * 1000) / (performance.now() - start);
}

process.once('message', async (job) => {
  const { issuer, audience, jwksUrl, authUrl, redisUrl, keyPrefix, tokens, roundMs, rounds } = job;
  // The options the SDK hands to jose (sdk/src/verifier.ts), so the difference is the SDK's own work.
  const joseOptions = { issuer, audience, algorithms: ['EdDSA', 'ES256'], clockTolerance: 5, typ: 'at+jwt', requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'] };
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const redis = createVerifier({ issuer, audience, jwksUrl, revocation: { redisUrl, keyPrefix } });
  const sse = createVerifier({ issuer, audience, revocation: { authUrl } });
  await Promise.all([redis.ready(), sse.ready(), jwks.reload()]);
  const contenders = {
    jose: (t) => jwtVerify(t, jwks, joseOptions),
    sdkRedis: (t) => redis.verify(t),
    sdkSse: (t) => sse.verify(t),
  };
  const names = Object.keys(contenders);
  for (const name of names) await round(contenders[name], tokens, 300); // JIT and caches
  const results = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) results[name].push(await round(contenders[name], tokens, roundMs));
  }
  await Promise.all([redis.close(), sse.close()]);
  process.send({ results }, () => process.exit(0));
});
