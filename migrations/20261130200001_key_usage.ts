import type { Knex } from 'knex';

// Exchanges per key per hour by outcome, written in batches (never one row write per exchange).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('key_usage', (t) => {
    t.text('key_id').notNullable();
    t.text('org_id').notNullable();
    t.timestamp('hour', { useTz: true }).notNullable();
    t.text('outcome').notNullable();
    t.bigInteger('count').notNullable();
    t.primary(['key_id', 'hour', 'outcome']);
    t.index(['org_id', 'hour'], 'key_usage_org_hour_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('key_usage');
}
