// The in-memory ceiling: the token exchange with nothing but its essential work, to compare the
// real service with. express + jose; keys loaded once at start-up into a Map (no Postgres, no
// Redis on the request path); per request: parse the JSON or form body (or HTTP Basic), look the
// key up, check the secret's HMAC in constant time, check org and expiry, sign an RFC 9068 token
// with Ed25519, answer the same JSON as the service. No logging, no helmet, no validation library.
// Served like the service (createHttpServer: requests born with express's prototypes, which spares
// V8 a slow path; see docs/PERFORMANCE.md), so the comparison is of the pipelines alone.
// Env: PORT, CEILING_WORKERS, DATABASE_URL, ORG_ID, ISSUER, SECRET_PEPPER.
import cluster from 'node:cluster';
import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { monotonicFactory } from 'ulid';
import { createHttpServer } from '../dist/src/http/server.js';
import { loadKeyRecords } from './lib/dataset.mjs';

const env = process.env;
const workers = Number(env.CEILING_WORKERS ?? 1);
const TTL_SECONDS = 900;

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  });
} else {
  await serve();
}

async function serve() {
  const pepper = Buffer.from(env.SECRET_PEPPER, 'utf8');
  const hash = (secret) => createHmac('sha256', pepper).update(secret, 'utf8').digest();
  const dummyHash = hash('sk_live_dummy');
  const keys = new Map(
    (await loadKeyRecords(env.DATABASE_URL, env.ORG_ID)).map((r) => [
      r.id,
      {
        orgId: r.org_id,
        env: r.environment,
        scopes: r.scopes.join(' '),
        audiences: r.audiences,
        hash: r.secret_hash,
        expiresAt: r.expires_at?.getTime() ?? Infinity,
        revoked: r.revoked_at !== null,
      },
    ]),
  );
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true, crv: 'Ed25519' });
  const kid = await calculateJwkThumbprint(await exportJWK(privateKey));
  // The jti is a ULID, as the service's; its random part comes from a pooled buffer (the ulid
  // package's default asks WebCrypto for one byte per character, 16 calls per ID).
  const pool = Buffer.alloc(4_096);
  let poolAt = pool.length;
  const ulid = monotonicFactory(() => {
    if (poolAt === pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    return pool[poolAt++] / 256;
  });

  const refuse = (res) =>
    res.status(401).set('WWW-Authenticate', 'Basic').json({ error: 'invalid_client', error_description: 'client authentication failed' });

  function credentials(req) {
    const auth = req.headers.authorization;
    if (auth && auth.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return { keyId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    }
    const b = req.body ?? {};
    return { orgId: b.org_id, keyId: b.key_id ?? b.client_id, secret: b.secret ?? b.client_secret };
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.json({ limit: 16 * 1024 }));
  app.use(express.urlencoded({ extended: false, limit: 16 * 1024 }));
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  app.post(['/v1/token', '/oauth/token'], async (req, res) => {
    const { orgId, keyId, secret } = credentials(req);
    if (typeof keyId !== 'string' || typeof secret !== 'string') return refuse(res);
    const key = keys.get(keyId);
    const candidate = hash(secret);
    const ok = timingSafeEqual(candidate, key?.hash ?? dummyHash) && key !== undefined;
    const now = Date.now();
    if (!ok || key.revoked || key.expiresAt <= now || (orgId !== undefined && orgId !== key.orgId)) return refuse(res);
    const iat = Math.floor(now / 1000);
    const exp = Math.min(iat + TTL_SECONDS, Math.floor(key.expiresAt / 1000));
    const token = await new SignJWT({
      iss: env.ISSUER,
      sub: keyId,
      client_id: keyId,
      org_id: key.orgId,
      aud: key.audiences.length > 0 ? key.audiences : env.ISSUER,
      scope: key.scopes,
      env: key.env,
      iat,
      exp,
      jti: ulid(now),
    })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .sign(privateKey);
    res.set('Cache-Control', 'no-store').json({ access_token: token, token_type: 'Bearer', expires_in: exp - iat, scope: key.scopes });
  });
  const server = createHttpServer(app).listen(Number(env.PORT), '127.0.0.1', () =>
    process.stdout.write(`{"msg":"server.listening","pid":${process.pid},"keys":${keys.size}}\n`),
  );
  server.keepAliveTimeout = 5_000;
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
