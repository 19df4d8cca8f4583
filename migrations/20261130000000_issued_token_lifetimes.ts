import type { Knex } from 'knex';

// Every access-token lifetime a deployment has issued with, and when last: a key revocation entry
// must outlive every token the key may still hold, including tokens minted before a restart with a
// shorter TOKEN_TTL_SECONDS.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('issued_token_lifetimes', (t) => {
    t.integer('ttl_seconds').primary();
    t.timestamp('last_issued_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('issued_token_lifetimes');
}
