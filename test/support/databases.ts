import pg from 'pg';
import { createDb, migrateLatest } from '../../src/storage/db.js';
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

/**
 * A fresh, migrated database of its own, for tests that change deployment-wide state
 * (signing keys, Postgres outages) and must not disturb tests running in parallel.
 */
export async function isolatedDatabase(name: string): Promise<string> {
  // Named after the run's database, so its teardown finds and drops it.
  const db = `${new URL(TEST_DATABASE_URL).pathname.slice(1)}_x_${name}_${process.pid}`;
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${db}"`);
  });
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${db}`;
  const knex = createDb(url.toString(), 1);
  try {
    await migrateLatest(knex);
  } finally {
    await knex.destroy();
  }
  return url.toString();
}

let migrated: Promise<void> | undefined;

/** Migrates the shared test database once per worker; an advisory lock serialises the workers. */
export function ensureMigrated(): Promise<void> {
  return (migrated ??= (async () => {
    const lock = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock(727274)');
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
