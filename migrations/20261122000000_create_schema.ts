import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organisations', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('api_keys', (t) => {
    t.text('id').primary();
    t.text('org_id').notNullable().references('id').inTable('organisations');
    t.text('name').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.text('environment').notNullable().checkIn(['live', 'test']);
    t.specificType('scopes', 'text[]').notNullable().defaultTo('{}');
    t.specificType('audiences', 'text[]').notNullable().defaultTo('{}');
    t.specificType('allowed_cidrs', 'text[]').notNullable().defaultTo('{}');
    t.binary('secret_hash').notNullable();
    t.text('secret_hint').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.text('created_by');
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_by');
    t.text('revoke_reason');
    t.timestamp('last_used_at', { useTz: true });
    t.text('replaced_by');
    // Listing pages through an org's keys by ID (ULIDs sort by creation time).
    t.index(['org_id', 'id'], 'api_keys_org_id_id_idx');
    t.index(['org_id', 'environment', 'id'], 'api_keys_org_env_id_idx');
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary(); // RFC 7638 thumbprint of the public key
    t.text('alg').notNullable();
    t.jsonb('public_jwk').notNullable();
    t.text('private_jwk_enc').notNullable(); // AES-256-GCM under KEY_ENCRYPTION_KEY, never clear text
    t.timestamp('created_at', { useTz: true }).notNullable();
    // Published from created_at; signs from activates_at; stops signing at retired_at;
    // stays published until every token it signed has expired.
    t.timestamp('activates_at', { useTz: true }).notNullable();
    t.timestamp('retired_at', { useTz: true });
    t.index(['activates_at'], 'signing_keys_activates_at_idx');
  });

  await knex.schema.createTable('revocations', (t) => {
    t.bigIncrements('seq').primary(); // also the SSE event ID
    t.text('kind').notNullable().checkIn(['key', 'token']);
    t.text('org_id').notNullable();
    t.text('key_id').notNullable(); // the revoked key, or the `sub` of the revoked token
    t.text('jti');
    t.timestamp('revoked_at', { useTz: true }).notNullable();
    // Once no token the entry could match is still valid, it can be dropped.
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at'], 'revocations_expires_at_idx');
  });
  await knex.raw(`CREATE UNIQUE INDEX revocations_key_uniq ON revocations (key_id) WHERE kind = 'key'`);
  await knex.raw(`CREATE UNIQUE INDEX revocations_jti_uniq ON revocations (jti) WHERE kind = 'token'`);

  await knex.schema.createTable('audit_events', (t) => {
    t.text('id').primary();
    t.text('org_id'); // null when the caller named no known org or key
    t.text('action').notNullable();
    t.text('actor_type').notNullable();
    t.text('actor_id');
    t.text('target_type');
    t.text('target_id');
    t.text('ip');
    t.text('user_agent');
    t.text('request_id');
    t.jsonb('detail').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['org_id', 'id'], 'audit_events_org_id_idx');
    t.index(['org_id', 'target_id', 'id'], 'audit_events_org_target_idx');
    t.index(['org_id', 'action', 'id'], 'audit_events_org_action_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_events', 'revocations', 'signing_keys', 'api_keys', 'organisations']) {
    await knex.schema.dropTableIfExists(table);
  }
}
