import type { Knex } from 'knex';
import type { Db } from './db.js';

export type Environment = 'live' | 'test';
export type KeyStatus = 'active' | 'expired' | 'revoked';

export type ApiKey = {
  id: string;
  orgId: string;
  name: string;
  description: string;
  environment: Environment;
  scopes: string[];
  audiences: string[];
  allowedCidrs: string[];
  secretHash: Buffer;
  secretHint: string;
  createdAt: Date;
  createdBy: string | null;
  updatedAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  revokeReason: string | null;
  lastUsedAt: Date | null;
  replacedBy: string | null;
};

export type KeyRow = {
  id: string;
  org_id: string;
  name: string;
  description: string;
  environment: Environment;
  scopes: string[];
  audiences: string[];
  allowed_cidrs: string[];
  secret_hash: Buffer;
  secret_hint: string;
  created_at: Date;
  created_by: string | null;
  updated_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  last_used_at: Date | null;
  replaced_by: string | null;
};

export const toKey = (r: KeyRow): ApiKey => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  description: r.description,
  environment: r.environment,
  scopes: r.scopes,
  audiences: r.audiences,
  allowedCidrs: r.allowed_cidrs,
  secretHash: r.secret_hash,
  secretHint: r.secret_hint,
  createdAt: r.created_at,
  createdBy: r.created_by,
  updatedAt: r.updated_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
  revokeReason: r.revoke_reason,
  lastUsedAt: r.last_used_at,
  replacedBy: r.replaced_by,
});

const toRow = (k: ApiKey): KeyRow => ({
  id: k.id,
  org_id: k.orgId,
  name: k.name,
  description: k.description,
  environment: k.environment,
  scopes: k.scopes,
  audiences: k.audiences,
  allowed_cidrs: k.allowedCidrs,
  secret_hash: k.secretHash,
  secret_hint: k.secretHint,
  created_at: k.createdAt,
  created_by: k.createdBy,
  updated_at: k.updatedAt,
  expires_at: k.expiresAt,
  revoked_at: k.revokedAt,
  revoked_by: k.revokedBy,
  revoke_reason: k.revokeReason,
  last_used_at: k.lastUsedAt,
  replaced_by: k.replacedBy,
});

export async function insertKey(db: Db | Knex.Transaction, key: ApiKey): Promise<void> {
  await db('api_keys').insert(toRow(key));
}

export async function findKeyById(db: Db | Knex.Transaction, id: string): Promise<ApiKey | undefined> {
  const row = await db<KeyRow>('api_keys').where({ id }).first();
  return row ? toKey(row) : undefined;
}

/** Locks the row for the rest of the transaction, so concurrent revoke/rotate/patch serialise. */
export async function findKeyForUpdate(trx: Knex.Transaction, orgId: string, id: string): Promise<ApiKey | undefined> {
  const row = await trx<KeyRow>('api_keys').where({ id, org_id: orgId }).forUpdate().first();
  return row ? toKey(row) : undefined;
}

export type KeyChanges = Partial<
  Pick<ApiKey, 'name' | 'description' | 'scopes' | 'audiences' | 'allowedCidrs' | 'expiresAt' | 'revokedAt' | 'revokedBy' | 'revokeReason' | 'replacedBy'>
>;

const CHANGE_COLUMNS: Record<keyof KeyChanges, keyof KeyRow> = {
  name: 'name',
  description: 'description',
  scopes: 'scopes',
  audiences: 'audiences',
  allowedCidrs: 'allowed_cidrs',
  expiresAt: 'expires_at',
  revokedAt: 'revoked_at',
  revokedBy: 'revoked_by',
  revokeReason: 'revoke_reason',
  replacedBy: 'replaced_by',
};

export async function updateKey(
  trx: Db | Knex.Transaction,
  id: string,
  changes: KeyChanges,
  updatedAt: Date,
): Promise<ApiKey> {
  const row: Record<string, unknown> = { updated_at: updatedAt };
  for (const [field, value] of Object.entries(changes)) {
    if (value !== undefined) row[CHANGE_COLUMNS[field as keyof KeyChanges]] = value;
  }
  const [updated] = (await trx('api_keys').where({ id }).update(row).returning('*')) as KeyRow[];
  if (!updated) throw new TypeError(`api key ${id} vanished during update`);
  return toKey(updated);
}

export type KeyListFilter = {
  orgId: string;
  status?: KeyStatus;
  environment?: Environment;
  /** Return keys whose ID sorts before this one (newest first). */
  before?: string;
  limit: number;
  now: Date;
};

export async function listKeys(db: Db, f: KeyListFilter): Promise<ApiKey[]> {
  const q = db<KeyRow>('api_keys').where('org_id', f.orgId);
  if (f.environment) q.andWhere('environment', f.environment);
  if (f.before) q.andWhere('id', '<', f.before);
  if (f.status === 'revoked') q.whereNotNull('revoked_at');
  if (f.status === 'expired') q.whereNull('revoked_at').andWhere('expires_at', '<=', f.now);
  if (f.status === 'active') {
    q.whereNull('revoked_at').andWhere((w) => w.whereNull('expires_at').orWhere('expires_at', '>', f.now));
  }
  const rows = await q.orderBy('id', 'desc').limit(f.limit);
  return rows.map(toKey);
}

/**
 * One statement for a whole batch of last-used times; never moves a time backwards. A row is only
 * rewritten when its stored time is more than `minAdvanceMs` older than the new one: every process
 * flushes the keys it served, and without that bound each of them would rewrite every hot key's
 * row on every flush. Answers the number of rows written.
 */
export async function touchLastUsed(
  db: Db,
  entries: ReadonlyArray<readonly [keyId: string, usedAt: Date]>,
  minAdvanceMs: number,
): Promise<number> {
  if (entries.length === 0) return 0;
  const ids = entries.map(([id]) => id);
  const times = entries.map(([, at]) => at.toISOString());
  const result = await db.raw(
    `UPDATE api_keys AS k SET last_used_at = v.used_at
       FROM unnest(?::text[], ?::timestamptz[]) AS v(id, used_at)
      WHERE k.id = v.id
        AND (k.last_used_at IS NULL OR k.last_used_at < v.used_at - make_interval(secs => ?::float8))`,
    [ids, times, minAdvanceMs / 1000],
  );
  return (result as { rowCount: number }).rowCount;
}
