import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { MIGRATIONS } from '../../migrations/index.js';

export type Db = Knex;

const noop = () => undefined;

// bigserial columns (revocation sequence numbers) stay well inside 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

export function createDb(databaseUrl: string, poolMax = 10, acquireTimeoutMs = 5_000): Db {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: databaseUrl, connectionTimeoutMillis: 3_000 },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: acquireTimeoutMs,
    // knex would print pool errors with console.log; they reach callers as exceptions instead.
    log: { warn: noop, error: noop, deprecate: noop, debug: noop },
  });
}

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(MIGRATIONS.map(([name]) => name)),
  getMigrationName: (name) => name,
  getMigration: (name) => {
    const found = MIGRATIONS.find(([n]) => n === name);
    if (!found) return Promise.reject(new TypeError(`unknown migration ${name}`));
    return Promise.resolve(found[1]);
  },
};

/** Applies pending migrations; safe to run twice and from several instances at once (knex locks). */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/**
 * Migrate-on-start and `migrate`, written once: creates the database when we may (a fresh machine has
 * none; without the CREATE DATABASE right, migrate what exists) and applies pending migrations.
 */
export async function migrateDatabase(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl).catch(() => undefined);
  const db = createDb(databaseUrl, 1);
  try {
    return await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}

/** Creates the database named in the URL if it does not exist (used by tests and `migrate --create-db`). */
async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new TypeError(`unsupported database name ${name}`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } catch (err) {
        // Another process created it between the check and the CREATE.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await client.end();
  }
}

// Connection-level failures (server down, restarting, pool exhausted) as opposed to query bugs.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: string; name?: string; message?: string };
    if (code && UNAVAILABLE_CODES.has(code)) return true;
    if (name === 'KnexTimeoutError') return true;
    if (typeof message === 'string' && /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(message))
      return true;
    if (Array.isArray((e as { errors?: unknown[] }).errors) && (e as { errors: unknown[] }).errors.some(isDatabaseUnavailable)) return true;
  }
  return false;
}
