import type { Knex } from 'knex';
import type { RevocationEntry } from '../domain/model.js';
import type { Db } from './db.js';

export type RevocationRow = {
  seq: number;
  kind: 'key' | 'token';
  org_id: string;
  key_id: string;
  jti: string | null;
  revoked_at: Date;
  expires_at: Date;
};

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
export const toEntry = (r: RevocationRow): RevocationEntry => ({
  seq: r.seq,
  kind: r.kind,
  keyId: r.key_id,
  jti: r.jti,
  revokedAt: seconds(r.revoked_at),
  expiresAt: seconds(r.expires_at),
});

/**
 * Held from drawing an entry's seq until its transaction commits, so entries commit in seq order: a
 * stream or feed resumed "after seq N" can never miss an entry that drew a smaller seq but committed
 * later. Revocations are rare; serialising them costs nothing that matters.
 */
export const REVOCATION_SEQ_LOCK = 'scope-auth:revocation-seq';

async function lockRevocationSeq(trx: Knex.Transaction): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [REVOCATION_SEQ_LOCK]);
}

export type NewTokenRevocation = { orgId: string; keyId: string; jti: string; revokedAt: number; expiresAt: number };

/**
 * Inserts a token's entry, or returns the existing one for the same jti (revocation is idempotent).
 * A key's entry is written with the key itself (key-revocation.ts).
 */
export async function insertTokenRevocation(trx: Knex.Transaction, e: NewTokenRevocation): Promise<RevocationEntry> {
  await lockRevocationSeq(trx);
  const row = {
    org_id: e.orgId,
    key_id: e.keyId,
    jti: e.jti,
    revoked_at: new Date(e.revokedAt * 1000),
    expires_at: new Date(e.expiresAt * 1000),
  };
  const inserted = await trx.raw<{ rows: RevocationRow[] }>(
    `INSERT INTO revocations (kind, org_id, key_id, jti, revoked_at, expires_at)
     VALUES ('token', :org_id, :key_id, :jti, :revoked_at, :expires_at)
     ON CONFLICT (jti) WHERE kind = 'token' DO NOTHING RETURNING *`,
    row,
  );
  const [created] = inserted.rows;
  if (created) return toEntry(created);
  const existing = await findRevocation(trx, { kind: 'token', keyId: e.keyId, jti: e.jti });
  if (!existing) throw new TypeError('revocation vanished after conflict');
  return existing;
}

/** The entry of a key (by `keyId`), or of one token (by `jti`). */
export async function findRevocation(
  db: Db | Knex.Transaction,
  q: Pick<RevocationEntry, 'kind' | 'keyId' | 'jti'>,
): Promise<RevocationEntry | undefined> {
  const row = await db<RevocationRow>('revocations')
    .where(q.kind === 'key' ? { kind: 'key', key_id: q.keyId } : { kind: 'token', jti: q.jti })
    .first();
  return row ? toEntry(row) : undefined;
}

export async function listLiveRevocations(db: Db, now: Date, afterSeq = 0, limit?: number): Promise<RevocationEntry[]> {
  const q = db<RevocationRow>('revocations').where('expires_at', '>', now).andWhere('seq', '>', afterSeq).orderBy('seq');
  if (limit !== undefined) q.limit(limit);
  return (await q).map(toEntry);
}

/** Postgres answer for one token (its key's entry, or its own), used when memory cannot be trusted. */
export async function findMatchingRevocation(db: Db, q: { keyId: string; jti: string }): Promise<RevocationEntry | undefined> {
  const row = await db<RevocationRow>('revocations').where({ kind: 'key', key_id: q.keyId }).orWhere({ kind: 'token', jti: q.jti }).first();
  return row ? toEntry(row) : undefined;
}

export async function deleteExpiredRevocations(db: Db, now: Date): Promise<number> {
  return db('revocations').where('expires_at', '<=', now).del();
}
