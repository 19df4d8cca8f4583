import type { Knex } from 'knex';

// Issue 19: people (users), their membership of organisations with a role, and server-side sessions.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.text('id').primary();
    t.text('email').notNullable();
    t.text('name').notNullable();
    t.text('password_hash'); // Argon2id PHC string; null = single sign-on only
    t.timestamp('password_changed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  // One account per address, whatever its case.
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_uniq ON users (lower(email))');

  await knex.schema.createTable('memberships', (t) => {
    t.text('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('org_id').notNullable().references('id').inTable('organisations');
    t.text('role').notNullable().checkIn(['owner', 'admin', 'developer', 'viewer']);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['user_id', 'org_id']);
    t.index(['org_id', 'role'], 'memberships_org_role_idx');
  });

  await knex.schema.createTable('sessions', (t) => {
    t.binary('id_hash').primary(); // HMAC of the cookie value: a database leak yields no usable session
    t.text('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('org_id').notNullable().references('id').inTable('organisations');
    t.binary('csrf_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable(); // the absolute limit
    t.text('ip');
    t.text('user_agent');
    t.index(['user_id'], 'sessions_user_idx');
  });

  await knex.schema.createTable('invitations', (t) => {
    t.text('id').primary();
    t.text('org_id').notNullable().references('id').inTable('organisations');
    t.text('email').notNullable(); // only this address may accept
    t.text('role').notNullable().checkIn(['owner', 'admin', 'developer', 'viewer']);
    t.binary('token_hash').notNullable().unique(); // HMAC of the token in the accept URL, shown once
    t.text('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['org_id', 'id'], 'invitations_org_id_idx');
  });

  // The organisation's APIs: the audiences and scopes its keys may name once it declares any.
  await knex.schema.createTable('resources', (t) => {
    t.text('id').primary();
    t.text('org_id').notNullable().references('id').inTable('organisations');
    t.text('name').notNullable();
    t.text('audience').notNullable();
    t.jsonb('scopes').notNullable().defaultTo('[]'); // [{name, description}]
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['org_id', 'audience'], { indexName: 'resources_org_audience_uniq' });
  });

  // Single sign-on: an organisation may let verified addresses of its domains join as viewers.
  await knex.schema.alterTable('organisations', (t) => {
    t.specificType('sso_domains', 'text[]').notNullable().defaultTo('{}');
  });
  // One row per started SSO sign-in: state (hashed), nonce and PKCE verifier, spent by the callback.
  await knex.schema.createTable('sso_attempts', (t) => {
    t.binary('state_hash').primary();
    t.text('nonce').notNullable();
    t.text('code_verifier').notNullable();
    t.text('org_id');
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });

  // One-time tokens for the first owner of a store with no user (logged by `serve`, valid 24 h).
  await knex.schema.createTable('setup_tokens', (t) => {
    t.binary('token_hash').primary();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
  });

  await knex.schema.alterTable('api_keys', (t) => {
    t.text('owner_user_id'); // the person who owns the key; null = made by a key or the CLI
    t.index(['org_id', 'owner_user_id', 'id'], 'api_keys_org_owner_id_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.dropIndex(['org_id', 'owner_user_id', 'id'], 'api_keys_org_owner_id_idx');
    t.dropColumn('owner_user_id');
  });
  await knex.schema.alterTable('organisations', (t) => t.dropColumn('sso_domains'));
  for (const table of ['sso_attempts', 'setup_tokens', 'resources', 'invitations', 'sessions', 'memberships', 'users'])
    await knex.schema.dropTableIfExists(table);
}
