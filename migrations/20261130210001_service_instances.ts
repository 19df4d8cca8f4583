import type { Knex } from 'knex';

// Running service instances of each deployment (its Redis key prefix), as last seen by their own
// revocation watch: a revoke waits for the acknowledgement of each one seen lately (issue 24).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('service_instances', (t) => {
    t.text('deployment').notNullable();
    t.text('id').notNullable();
    t.timestamp('seen_at', { useTz: true }).notNullable();
    t.primary(['deployment', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('service_instances');
}
