// Verifier throughput on one core: the SDK's verifier against plain jose jwtVerify (same options,
// same cached remote JWKS) on the same real tokens: tokens it has seen (answered by its cache) and
// tokens it has not (a cache one slot short of the token set). Runs alone in its own process. Receives one job
// over IPC, answers with ops/s per contender per run.
//
// This machine's speed drifts by 20–30% over seconds, so each run is cut into short slices and the
// contenders take turns slice by slice, in every order in turn (ABC, BCA, CAB, CBA, BAC, ACB): a slow
// second, and the garbage one contender leaves for the next one's slice, land on all of them alike.
// A run's figure for a contender is its operations over its time, summed over its slices.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createVerifier } from '../sdk/dist/index.js';

async function slice(fn, tokens, ms, at) {
  const start = performance.now();
  const end = start + ms;
  let ops = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) await fn(tokens[(at + ops + i) % tokens.length]);
    ops += 50;
  }
  return { ops, ms: performance.now() - start };
}

/** Every ordering of the names, so that each contender holds each position equally often. */
function orders(names) {
  if (names.length <= 1) return [names];
  return names.flatMap((first, i) => orders([...names.slice(0, i), ...names.slice(i + 1)]).map((rest) => [first, ...rest]));
}

process.once('message', async (job) => {
  const { issuer, audience, jwksUrl, authUrl, redisUrl, keyPrefix, tokens, roundMs, rounds, slices } = job;
  // The options the SDK hands to jose (sdk/src/verifier.ts), so the difference is the SDK's own work.
  const joseOptions = {
    issuer,
    audience,
    algorithms: ['ES256', 'EdDSA', 'RS256'],
    clockTolerance: 5,
    typ: 'at+jwt',
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
  };
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const redis = createVerifier({ issuer, audience, jwksUrl, revocation: { redisUrl, keyPrefix } });
  const sse = createVerifier({ issuer, audience, revocation: { authUrl } });
  // FIFO eviction with one slot fewer than the tokens taken in turn: every call misses its cache.
  const firstSeen = createVerifier({ issuer, audience, revocation: { authUrl }, cacheSize: Math.max(0, tokens.length - 1) });
  await Promise.all([redis.ready(), sse.ready(), firstSeen.ready(), jwks.reload()]);
  const contenders = {
    jose: (t) => jwtVerify(t, jwks, joseOptions),
    sdkRedis: (t) => redis.verify(t),
    sdkSse: (t) => sse.verify(t),
    sdkFirstSeen: (t) => firstSeen.verify(t),
  };
  const names = Object.keys(contenders);
  const sequence = orders(names);
  const sliceMs = roundMs / slices;
  let at = 0;
  for (const name of names) await slice(contenders[name], tokens, 300, 0); // JIT and caches
  const results = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const totals = Object.fromEntries(names.map((n) => [n, { ops: 0, ms: 0 }]));
    for (let s = 0; s < slices; s++) {
      for (const name of sequence[(r * slices + s) % sequence.length]) {
        const { ops, ms } = await slice(contenders[name], tokens, sliceMs, at);
        totals[name].ops += ops;
        totals[name].ms += ms;
      }
      at += 50; // every contender verifies the same tokens within a slice set
    }
    for (const name of names) results[name].push((totals[name].ops * 1000) / totals[name].ms);
  }
  await Promise.all([redis.close(), sse.close(), firstSeen.close()]);
  process.send({ results }, () => process.exit(0));
});
