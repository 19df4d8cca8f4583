import type { Knex } from 'knex';

// Per key: audit every successful exchange too (exchange.succeeded), not only refusals.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.boolean('log_exchanges').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.dropColumn('log_exchanges');
  });
}
