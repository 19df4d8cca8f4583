// `node --expose-gc bench/sizing.mjs`: the storage figures of docs/operations.md, measured on the real
// code (dist/) and the real stores. It creates a scratch Postgres database (dropped at the end) and a
// scratch Redis prefix (deleted), inserts ROWS keys, audit events and revocation entries, and prints
// bytes per row. ROWS defaults to 100,000: figures per million are that × 10.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

const ROOT = new URL('../', import.meta.url);
const load = (path) => import(new URL(path, ROOT).href);
const { createDb, migrateDatabase } = await load('dist/src/storage/db.js');
const { createAuditLog } = await load('dist/src/domain/audit.js');
const { createKeyCache } = await load('dist/src/domain/key-cache.js');
const { createRedisRevocationStore } = await load('dist/src/storage/redis/revocation-store.js');
const { redisKeys } = await load('dist/src/storage/redis/client.js');
const { hashSecret, generateSecret, secretHint } = await load('dist/src/crypto/secrets.js');
const { newId, newTokenId } = await load('dist/src/ids.js');

const PEPPER = Buffer.from('sizing-pepper-0123456789abcdef0123456789');
const ROWS = Number(process.env.ROWS ?? 100_000);
const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const scratch = `scope_auth_sizing_${process.pid}`;
const out = {};
const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;

async function admin(sql) {
  const c = new pg.Client({ connectionString: base.toString() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A key as the service stores it: two scopes, no audience, no allowlist, a 32-byte HMAC. */
function keyRow(orgId, now) {
  const secret = generateSecret('live');
  return {
    id: newId('key', now.getTime()),
    org_id: orgId,
    name: 'payments worker',
    description: '',
    environment: 'live',
    scopes: ['orders:read', 'orders:write'],
    audiences: [],
    allowed_cidrs: [],
    secret_hash: hashSecret(PEPPER, secret),
    secret_hint: secretHint(secret),
    created_at: now,
    created_by: newId('key'),
    updated_at: now,
  };
}

async function postgresFigures() {
  await admin(`CREATE DATABASE ${scratch}`);
  const url = new URL(base);
  url.pathname = `/${scratch}`;
  await migrateDatabase(url.toString());
  const db = createDb(url.toString(), 4);
  try {
    const orgId = newId('org');
    await db('organisations').insert({ id: orgId, name: 'sizing' });
    for (let i = 0; i < ROWS; i += 1_000) {
      const now = new Date();
      await db('api_keys').insert(Array.from({ length: Math.min(1_000, ROWS - i) }, () => keyRow(orgId, now)));
    }
    // The audit writer itself, with a typical event: a refused exchange with its request context.
    const quiet = { warn() {}, info() {}, debug() {}, error() {} };
    const audit = createAuditLog(db, { now: () => Date.now() }, quiet);
    for (let i = 0; i < ROWS; i++) {
      audit.enqueue({
        orgId,
        action: 'exchange.rejected',
        actor: { type: 'anonymous', id: null },
        target: { type: 'key', id: newId('key') },
        context: { ip: '203.0.113.24', userAgent: 'scope-auth-sdk/0.1.0 node/20.19.0', requestId: randomBytes(8).toString('hex') },
        detail: { reason: 'wrong_secret' },
      });
      if (i % 5_000 === 4_999) await audit.flush();
    }
    await audit.flush();
    await db.raw('VACUUM ANALYZE api_keys, audit_events');
    for (const table of ['api_keys', 'audit_events']) {
      const { rows } = await db.raw(`SELECT pg_total_relation_size(?) AS total, (SELECT count(*) FROM ${table}) AS n`, [table]);
      const perRow = Number(rows[0].total) / Number(rows[0].n);
      out[`postgres ${table}: bytes per row (table + indexes)`] = Math.round(perRow);
      out[`postgres ${table}: per million rows`] = mb(perRow * 1e6);
    }
  } finally {
    await db.destroy();
    await admin(`DROP DATABASE IF EXISTS ${scratch}`);
  }
}

async function redisFigures() {
  const redis = new Redis(redisUrl);
  const keys = redisKeys(`sizing${process.pid}:`);
  const store = createRedisRevocationStore(redis, keys);
  try {
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < ROWS; i += 1_000) {
      const entries = Array.from({ length: Math.min(1_000, ROWS - i) }, (_, j) => ({
        seq: i + j + 1,
        kind: 'token',
        keyId: newId('key'),
        jti: newTokenId(),
        revokedAt: now,
        expiresAt: now + 3_600,
      }));
      await store.announce(entries);
    }
    let total = 0;
    for (const key of [keys.revocationEntries, keys.revocationExpiry]) total += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
    out['redis revocation entry (hash field + sorted-set member): bytes'] = Math.round(total / ROWS);
    out['redis revocation list: per million entries'] = mb((total / ROWS) * 1e6);
  } finally {
    await redis.del(keys.revocationEntries, keys.revocationExpiry);
    redis.disconnect();
  }
}

/** The key cache holds one small record per key (domain/api-keys.ts KeyRecord). */
function keyCacheFigures() {
  if (typeof globalThis.gc !== 'function') {
    out['key cache'] = 'run with node --expose-gc for this figure';
    return;
  }
  const n = Math.min(ROWS, 100_000);
  const cache = createKeyCache(n, 60_000, () => Date.now());
  globalThis.gc();
  const before = process.memoryUsage();
  for (let i = 0; i < n; i++) {
    const row = keyRow('org_x', new Date());
    const secretHash = Buffer.allocUnsafeSlow(32);
    row.secret_hash.copy(secretHash);
    cache.set(
      row.id,
      {
        id: row.id,
        orgId: newId('org'),
        environment: 'live',
        scopes: ['orders:read', 'orders:write'],
        audiences: [],
        allowedCidrs: [],
        secretHash,
        expiresAt: null,
        revokedAt: null,
        logExchanges: false,
      },
      cache.epoch(),
    );
  }
  globalThis.gc();
  const after = process.memoryUsage();
  const bytes = after.heapUsed + after.external + after.arrayBuffers - (before.heapUsed + before.external + before.arrayBuffers);
  out['key cache: bytes per cached key (heap + buffers)'] = Math.round(bytes / n);
  out[`key cache: ${n.toLocaleString('en')} keys`] = mb(bytes);
  if (cache.size() !== n) throw new Error('cache did not hold every key');
}

keyCacheFigures();
await redisFigures();
await postgresFigures();
console.log(`scope-auth sizing, ${ROWS.toLocaleString('en')} rows each`);
for (const [k, v] of Object.entries(out)) console.log(`  ${k.padEnd(62)} ${v}`);
