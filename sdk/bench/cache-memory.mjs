// Memory of the verifier's verified-token cache as distinct tokens stream through it: the heap must
// stay flat once the cache is full (cacheSize entries), however many tokens were seen.
// Run after `npm run build --workspace sdk`:  node --expose-gc sdk/bench/cache-memory.mjs [distinct tokens]
// Also forked by `npm run bench` (bench/scenarios/verifier.mjs). Tokens are signed here with ES256
// (the service's default) against a local JWKS, since a million exchanges would measure the service.
import { KeyObject, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import { createVerifier } from '../dist/index.js';

const ISSUER = 'https://auth.bench.test';

/** Heap after a full collection, in MB (needs --expose-gc; without it, an upper bound). */
function heapMb() {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

export async function measureCacheMemory({ distinct, cacheSize, samples = 10 }) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'mem-1', alg: 'ES256', use: 'sig' };
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }).end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: ISSUER,
    jwksUrl: `http://127.0.0.1:${server.address().port}/jwks`,
    revocation: false,
    ...(cacheSize === undefined ? {} : { cacheSize }),
  });
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'mem-1', typ: 'at+jwt' })).toString('base64url');
  const signingKey = KeyObject.from(privateKey);
  const base = heapMb();
  const points = [];
  const every = Math.max(1, Math.floor(distinct / samples));
  const started = performance.now();
  for (let i = 1; i <= distinct; i++) {
    // node:crypto directly: jose's SignJWT would take longer than the verification being measured.
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: ISSUER,
      aud: ISSUER,
      sub: `key_${i}`,
      client_id: `key_${i}`,
      org_id: 'org_bench',
      scope: 'read write',
      env: 'live',
      jti: `jti_${i}`,
      iat: now,
      exp: now + 900,
    };
    const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const token = `${input}.${sign('sha256', Buffer.from(input), { key: signingKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    await verifier.verify(token);
    if (i % every === 0) points.push({ tokens: i, heapMb: Number((heapMb() - base).toFixed(1)) });
  }
  await verifier.close();
  server.close();
  return {
    distinct,
    cacheSize: cacheSize ?? 'default',
    baseHeapMb: Number(base.toFixed(1)),
    points,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
}

// Forked by the bench: one job over IPC.
if (process.send) {
  process.once('message', async (job) => {
    const result = await measureCacheMemory(job);
    process.send({ result }, () => process.exit(0));
  });
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await measureCacheMemory({ distinct: Number(process.argv[2] ?? 1_000_000) });
  for (const p of result.points) console.log(`${p.tokens.toLocaleString('en').padStart(10)} tokens seen: heap +${p.heapMb} MB`);
  console.log(`(${result.seconds} s; cache size ${result.cacheSize}; growth after the cache filled is the bound's test)`);
}
