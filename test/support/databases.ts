import pg from 'pg';
import { MIGRATIONS } from '../../migrations/index.js';
import { createDb, migrateLatest } from '../../src/storage/db.js';
import { EMBEDDED_URL_PREFIX, embeddedBackend } from './embedded-backend.js';
import { TEST_DATABASE_URL } from './env.js';

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `<run's database>_x_<suffix>`: the run's teardown drops every database named so. */
function runScopedName(suffix: string): string {
  return `${new URL(TEST_DATABASE_URL).pathname.slice(1)}_x_${suffix}`;
}

function urlOf(db: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${db}`;
  return url.toString();
}

/**
 * A migrated database to copy isolated ones from, made once per run: copying takes a third of the
 * time of migrating again. Built under another name and renamed when complete, under a lock, so
 * that a file (or worker) never copies a half-migrated one.
 */
async function migratedTemplate(): Promise<string> {
  const template = runScopedName('template');
  await admin(async (c) => {
    await c.query('SELECT pg_advisory_lock(727275)');
    try {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount) return;
      const building = `${template}_building`;
      await c.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "${building}"`);
      const knex = createDb(urlOf(building), 1);
      try {
        await migrateLatest(knex);
      } finally {
        await knex.destroy();
      }
      await c.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    } finally {
      await c.query('SELECT pg_advisory_unlock(727275)');
    }
  });
  return template;
}

/**
 * A fresh, migrated database of its own, for tests that change deployment-wide state
 * (signing keys, Postgres outages) and must not disturb tests running in parallel.
 */
export async function isolatedDatabase(name: string): Promise<string> {
  if (embeddedBackend) return `${EMBEDDED_URL_PREFIX}${name}`;
  const template = await migratedTemplate();
  const db = runScopedName(`${name}_${process.pid}`);
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${db}" TEMPLATE "${template}"`);
  });
  return urlOf(db);
}

/** Whether every migration has been applied (knex records each by name). */
async function isMigrated(client: pg.Client): Promise<boolean> {
  const applied = await client.query<{ name: string }>('SELECT name FROM knex_migrations').catch(() => undefined);
  const names = new Set(applied?.rows.map((r) => r.name));
  return MIGRATIONS.every(([name]) => names.has(name));
}

let migrated: Promise<void> | undefined;

/**
 * Migrates the shared test database once per run: each test file asks (its module state is its
 * own), and all but the first find it done. An advisory lock serialises workers.
 */
export function ensureMigrated(): Promise<void> {
  return (migrated ??= (async () => {
    const lock = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock(727274)');
      if (await isMigrated(lock)) return;
      const knex = createDb(TEST_DATABASE_URL, 1);
      try {
        await migrateLatest(knex);
      } finally {
        await knex.destroy();
      }
    } finally {
      await lock.end();
    }
  })());
}

/** A database with no tables (dropped with the run's others), for what a never-migrated one does. */
export async function emptyDatabase(name: string): Promise<string> {
  const db = runScopedName(`${name}_${process.pid}`);
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${db}"`);
  });
  return urlOf(db);
}

/** The URL a database of this run would have, without creating it. */
export const missingDatabaseUrl = (name: string): string => urlOf(runScopedName(`${name}_${process.pid}_missing`));
