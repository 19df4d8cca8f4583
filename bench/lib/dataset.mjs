// Bench datasets: one database per size (`<BENCH_DATABASE_URL>_<keys>`), one organisation of
// `keys` keys plus an admin key, written with big multi-row INSERTs. A complete dataset is marked
// by its organisation's name and reused by later runs; an interrupted one is dropped and redone.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { newId } from '../../dist/src/ids.js';
import { benchSecret, storedSecret } from './secrets.mjs';
import { ADMIN_SCOPES, BENCH_PEPPER, KEY_SCOPES, datasetDatabaseUrl, datasetRedisPrefix, serviceEnv } from './service-env.mjs';

const BATCH = 5_000;
const MARKER = /^bench-dataset keys=(\d+) seed=([0-9a-f]+) (seeding|complete)$/;
const CLI = new URL('../../dist/src/cli.js', import.meta.url).pathname;

function runCli(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`scope-auth ${args.join(' ')} failed (${code}): ${err.trim()}`)),
    );
  });
}

async function withClient(databaseUrl, fn) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * What autovacuum does on a production server, done before each service start: every service
 * process flushes `last_used_at` for the keys it served (on a timer and when it stops), and a bench
 * run starts dozens. On a Postgres with autovacuum off (as on this bench's machines) or behind,
 * `api_keys` of the 10,000-key dataset grew to 65 MB with 240,000 dead rows, and every flush got
 * slower than it would be on a server that keeps up.
 */
export async function vacuumDataset(dataset) {
  await withClient(dataset.databaseUrl, (c) => c.query('VACUUM (ANALYZE) api_keys'));
}

async function dropDatabase(databaseUrl) {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  await withClient(url.toString(), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

function keyRows(seed, count, nowMs) {
  const ids = [];
  const hashes = [];
  const hints = [];
  for (let i = 0; i < count; i++) {
    const id = newId('key', nowMs);
    const { hash, hint } = storedSecret(BENCH_PEPPER, benchSecret(seed, id));
    ids.push(id);
    hashes.push(hash);
    hints.push(hint);
  }
  return { ids, hashes, hints };
}

function insertKeys(client, orgId, name, scopes, rows) {
  return client.query(
    `INSERT INTO api_keys (id, org_id, name, environment, scopes, audiences, secret_hash, secret_hint, created_at, updated_at, created_by)
     SELECT t.id, $1, $2, 'live', $3::text[], '{}'::text[], t.hash, t.hint, now(), now(), 'bench'
       FROM unnest($4::text[], $5::bytea[], $6::text[]) AS t(id, hash, hint)`,
    [orgId, name, scopes, rows.ids, rows.hashes, rows.hints],
  );
}

/**
 * Inserts an organisation with an admin key (`bench-admin`) and `count` keys (`bench`); returns
 * its ID and seed. The insert of one batch overlaps the hashing of the next.
 */
export async function insertOrgWithKeys(client, { orgName, count, seed = randomBytes(16).toString('hex'), onProgress }) {
  const orgId = newId('org');
  await client.query('INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, now())', [orgId, orgName(seed)]);
  await insertKeys(client, orgId, 'bench-admin', ADMIN_SCOPES, keyRows(seed, 1, Date.now()));
  let pending;
  for (let done = 0; done < count; done += BATCH) {
    const rows = keyRows(seed, Math.min(BATCH, count - done), Date.now());
    await pending;
    pending = insertKeys(client, orgId, 'bench', KEY_SCOPES, rows);
    onProgress?.(done + rows.ids.length);
  }
  await pending;
  return { orgId, seed };
}

async function findMarker(client, keys) {
  const { rows } = await client.query(`SELECT id, name FROM organisations WHERE name LIKE 'bench-dataset %' ORDER BY id`);
  const found = rows.map((r) => ({ id: r.id, m: MARKER.exec(r.name) })).filter((r) => r.m && Number(r.m[1]) === keys);
  return found[0] && { orgId: found[0].id, seed: found[0].m[2], complete: found[0].m[3] === 'complete', count: found.length };
}

/** Makes sure the dataset of `keys` keys exists (seeding it if needed) and describes it. */
export async function ensureDataset(keys, log = () => undefined) {
  const databaseUrl = datasetDatabaseUrl(keys);
  const env = serviceEnv(keys);
  await runCli(['migrate'], env);
  let marker = await withClient(databaseUrl, (c) => findMarker(c, keys));
  if (marker && !marker.complete) {
    log(`dataset ${keys}: an earlier seeding was interrupted; dropping ${databaseUrl}`);
    await dropDatabase(databaseUrl);
    await runCli(['migrate'], env);
    marker = undefined;
  }
  let seededSeconds = 0;
  if (!marker) {
    const started = performance.now();
    log(`dataset ${keys}: seeding ${keys.toLocaleString('en')} keys into ${databaseUrl}`);
    marker = await withClient(databaseUrl, async (c) => {
      let lastReport = 0;
      const { orgId, seed } = await insertOrgWithKeys(c, {
        orgName: (seed) => `bench-dataset keys=${keys} seed=${seed} seeding`,
        count: keys,
        onProgress: (n) => {
          if (n - lastReport >= 100_000) {
            lastReport = n;
            log(`  ${n.toLocaleString('en')} keys, ${((performance.now() - started) / 1000).toFixed(0)} s`);
          }
        },
      });
      await c.query('UPDATE organisations SET name = $2 WHERE id = $1', [orgId, `bench-dataset keys=${keys} seed=${seed} complete`]);
      await c.query('ANALYZE api_keys');
      return { orgId, seed, complete: true };
    });
    seededSeconds = (performance.now() - started) / 1000;
    log(`dataset ${keys}: seeded in ${seededSeconds.toFixed(1)} s`);
  }
  const admin = await withClient(databaseUrl, (c) =>
    c.query(`SELECT id FROM api_keys WHERE org_id = $1 AND name = 'bench-admin'`, [marker.orgId]),
  );
  const adminId = admin.rows[0].id;
  return {
    keys,
    databaseUrl,
    redisPrefix: datasetRedisPrefix(keys),
    orgId: marker.orgId,
    seed: marker.seed,
    admin: { orgId: marker.orgId, keyId: adminId, secret: benchSecret(marker.seed, adminId) },
    seededSeconds,
  };
}

/** `count` of the dataset's keys, evenly spread over its keyspace, with their secrets. */
export async function pickKeys(dataset, count) {
  const { rows } = await withClient(dataset.databaseUrl, (c) =>
    c.query(
      `SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM api_keys WHERE org_id = $1 AND name = 'bench') t
        WHERE (rn - 1) % $2 = 0 ORDER BY id LIMIT $3`,
      [dataset.orgId, Math.max(1, Math.floor(dataset.keys / count)), count],
    ),
  );
  return rows.map((r) => ({ orgId: dataset.orgId, keyId: r.id, secret: benchSecret(dataset.seed, r.id) }));
}

/** A fresh organisation of `count` keys in the dataset's database (for scenarios that revoke keys). */
export async function createScratchOrg(dataset, count) {
  return withClient(dataset.databaseUrl, async (c) => {
    const { orgId, seed } = await insertOrgWithKeys(c, { orgName: () => `bench-scratch ${new Date().toISOString()}`, count });
    const { rows } = await c.query(`SELECT id, name FROM api_keys WHERE org_id = $1 ORDER BY id`, [orgId]);
    const withSecret = (r) => ({ orgId, keyId: r.id, secret: benchSecret(seed, r.id) });
    return {
      orgId,
      admin: withSecret(rows.find((r) => r.name === 'bench-admin')),
      keys: rows.filter((r) => r.name === 'bench').map(withSecret),
    };
  });
}

/** Rows the ceiling server loads into its Map once at start-up. */
export async function loadKeyRecords(databaseUrl, orgId) {
  const { rows } = await withClient(databaseUrl, (c) =>
    c.query(`SELECT id, org_id, environment, scopes, audiences, secret_hash, expires_at, revoked_at FROM api_keys WHERE org_id = $1`, [
      orgId,
    ]),
  );
  return rows;
}
