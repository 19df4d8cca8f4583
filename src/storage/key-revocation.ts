import type { Knex } from 'knex';
import type { ApiKey, AuditEvent, RevocationEntry } from '../domain/model.js';
import { toKey, type KeyRow } from './api-keys.js';
import { auditRow } from './audit-events.js';
import type { Db } from './db.js';
import { REVOCATION_SEQ_LOCK, findRevocation, toEntry, type RevocationRow } from './revocations.js';

export type KeyRevocation = {
  orgId: string;
  keyId: string;
  revokedAt: Date;
  revokedBy: string;
  reason: string | null;
  /** The revocation list entry's times, Unix seconds. */
  entry: { revokedAt: number; expiresAt: number };
  audit: AuditEvent;
};

type Joined = KeyRow & { r_seq: number | null; r_revoked_at: Date | null; r_expires_at: Date | null };

// The key row, its revocation entry and the audit record in one statement: one round trip instead
// of five (lock, update, two inserts, commit), which were most of a revoke call's time. A statement
// is atomic on its own; inside a caller's transaction it simply joins it. The audit columns come
// from `auditRow`, the one place that maps an event to its row (our own names, never input).
// The lock (see REVOCATION_SEQ_LOCK) is taken before the entry's seq is drawn: `k` needs `l`, `r` needs `k`.
const revokeSql = (auditColumns: string[]) => `
WITH l AS (
  SELECT pg_advisory_xact_lock(hashtext(:seq_lock)) AS locked
), k AS (
  UPDATE api_keys SET revoked_at = :revoked_at, revoked_by = :revoked_by, revoke_reason = :reason,
    updated_at = :revoked_at
  WHERE id = :key_id AND org_id = :org_id AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM l)
  RETURNING *
), r AS (
  INSERT INTO revocations (kind, org_id, key_id, jti, revoked_at, expires_at)
  SELECT 'key', org_id, id, NULL, :entry_revoked_at, :entry_expires_at FROM k
  ON CONFLICT (key_id) WHERE kind = 'key' DO NOTHING
  RETURNING seq, revoked_at, expires_at
), a AS (
  INSERT INTO audit_events (${auditColumns.join(', ')})
  SELECT ${auditColumns.map((column) => `:a_${column}`).join(', ')} FROM k
)
SELECT k.*, r.seq AS r_seq, r.revoked_at AS r_revoked_at, r.expires_at AS r_expires_at FROM k LEFT JOIN r ON true`;

/**
 * Revokes a live key of the org. Undefined when none matched: no such key in the org, or it was
 * revoked already (a concurrent revoke waits for the row lock, then sees `revoked_at` set).
 */
export async function revokeKeyRecord(
  db: Db | Knex.Transaction,
  r: KeyRevocation,
): Promise<{ key: ApiKey; entry: RevocationEntry } | undefined> {
  const auditValues = auditRow(r.audit);
  const audit = Object.fromEntries(Object.entries(auditValues).map(([column, value]) => [`a_${column}`, value]));
  const result = await db.raw<{ rows: Joined[] }>(revokeSql(Object.keys(auditValues)), {
    seq_lock: REVOCATION_SEQ_LOCK,
    key_id: r.keyId,
    org_id: r.orgId,
    revoked_at: r.revokedAt,
    revoked_by: r.revokedBy,
    reason: r.reason,
    entry_revoked_at: new Date(r.entry.revokedAt * 1000),
    entry_expires_at: new Date(r.entry.expiresAt * 1000),
    ...audit,
  });
  const [row] = result.rows;
  if (!row) return undefined;
  const { r_seq: seq, r_revoked_at: revokedAt, r_expires_at: expiresAt, ...keyRow } = row;
  // An entry for the key already existed (its row was restored by hand, say): keep that one.
  const entry =
    seq !== null && revokedAt !== null && expiresAt !== null
      ? toEntry({
          seq,
          kind: 'key',
          org_id: keyRow.org_id,
          key_id: keyRow.id,
          jti: null,
          revoked_at: revokedAt,
          expires_at: expiresAt,
        } satisfies RevocationRow)
      : await findRevocation(db, { kind: 'key', keyId: keyRow.id, jti: null });
  if (!entry) throw new TypeError(`revocation of key ${keyRow.id} vanished after conflict`);
  return { key: toKey(keyRow), entry };
}
