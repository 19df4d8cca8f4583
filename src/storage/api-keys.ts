import type { Knex } from 'knex';
import type { ApiKey, Environment, KeyStatus } from '../domain/model.js';
import { columnMap, type RowOf } from './columns.js';
import type { Db } from './db.js';

const keys = columnMap<ApiKey>()({
  id: 'id',
  orgId: 'org_id',
  name: 'name',
  description: 'description',
  environment: 'environment',
  scopes: 'scopes',
  audiences: 'audiences',
  allowedCidrs: 'allowed_cidrs',
  secretHash: 'secret_hash',
  secretHint: 'secret_hint',
  createdAt: 'created_at',
  createdBy: 'created_by',
  updatedAt: 'updated_at',
  expiresAt: 'expires_at',
  revokedAt: 'revoked_at',
  revokedBy: 'revoked_by',
  revokeReason: 'revoke_reason',
  lastUsedAt: 'last_used_at',
  replacedBy: 'replaced_by',
  logExchanges: 'log_exchanges',
  ownerUserId: 'owner_user_id',
});

export type KeyRow = RowOf<ApiKey, typeof keys.columns>;
export const toKey = keys.toModel;

export async function insertKey(db: Db | Knex.Transaction, key: ApiKey): Promise<void> {
  await db('api_keys').insert(keys.toRow(key));
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
  Pick<
    ApiKey,
    | 'name'
    | 'description'
    | 'scopes'
    | 'audiences'
    | 'allowedCidrs'
    | 'expiresAt'
    | 'revokedAt'
    | 'revokedBy'
    | 'revokeReason'
    | 'replacedBy'
    | 'logExchanges'
  >
>;

export async function updateKey(trx: Db | Knex.Transaction, id: string, changes: KeyChanges, updatedAt: Date): Promise<ApiKey> {
  const row = { ...keys.toRow(changes), updated_at: updatedAt };
  const [updated] = (await trx('api_keys').where({ id }).update(row).returning('*')) as KeyRow[];
  if (!updated) throw new TypeError(`api key ${id} vanished during update`);
  return toKey(updated);
}

export type KeyListFilter = {
  orgId: string;
  /** Only the keys this person owns. */
  ownerUserId?: string;
  status?: KeyStatus;
  environment?: Environment;
  /** Only keys never used, or not used for this many days. */
  unusedForDays?: number;
  /** Only keys whose name contains this text, in any case (LIKE's wildcards in it match themselves). */
  nameContains?: string;
  /** Return keys whose ID sorts before this one (newest first). */
  before?: string;
  limit: number;
  now: Date;
};

export async function listKeys(db: Db, f: KeyListFilter): Promise<ApiKey[]> {
  const q = db<KeyRow>('api_keys').where('org_id', f.orgId);
  if (f.environment) q.andWhere('environment', f.environment);
  if (f.ownerUserId) q.andWhere('owner_user_id', f.ownerUserId);
  if (f.nameContains) q.andWhereRaw("name ILIKE ? ESCAPE '\\'", [`%${f.nameContains.replace(/[\\%_]/g, '\\$&')}%`]);
  if (f.before) q.andWhere('id', '<', f.before);
  if (f.unusedForDays !== undefined) {
    const since = new Date(f.now.getTime() - f.unusedForDays * 86_400_000);
    q.andWhere((w) => void w.whereNull('last_used_at').orWhere('last_used_at', '<', since));
  }
  if (f.status === 'revoked') q.whereNotNull('revoked_at');
  if (f.status === 'expired') q.whereNull('revoked_at').andWhere('expires_at', '<=', f.now);
  if (f.status === 'active') {
    q.whereNull('revoked_at').andWhere((w) => void w.whereNull('expires_at').orWhere('expires_at', '>', f.now));
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
  const result = await db.raw<{ rowCount: number }>(
    `UPDATE api_keys AS k SET last_used_at = v.used_at
       FROM unnest(?::text[], ?::timestamptz[]) AS v(id, used_at)
      WHERE k.id = v.id
        AND (k.last_used_at IS NULL OR k.last_used_at < v.used_at - make_interval(secs => ?::float8))`,
    [ids, times, minAdvanceMs / 1000],
  );
  return result.rowCount;
}

/** Active keys of an org not used since `before` (or never), oldest use first. */
export async function findQuietKeys(db: Db, q: { orgId: string; before: Date; now: Date; limit: number }): Promise<ApiKey[]> {
  const rows = await db<KeyRow>('api_keys')
    .where('org_id', q.orgId)
    .whereNull('revoked_at')
    .andWhere((w) => void w.whereNull('expires_at').orWhere('expires_at', '>', q.now))
    .andWhere((w) => void w.whereNull('last_used_at').orWhere('last_used_at', '<', q.before))
    .orderByRaw('last_used_at ASC NULLS FIRST, id')
    .limit(q.limit);
  return rows.map(toKey);
}

/** Active keys of an org whose expiry falls in [now, until), soonest first. */
export async function findExpiringKeys(db: Db, q: { orgId: string; now: Date; until: Date; limit: number }): Promise<ApiKey[]> {
  const rows = await db<KeyRow>('api_keys')
    .where('org_id', q.orgId)
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', q.now)
    .andWhere('expires_at', '<', q.until)
    .orderBy('expires_at')
    .limit(q.limit);
  return rows.map(toKey);
}
