import type { Db } from './db.js';

/** A single sign-on flow between its start and the provider's redirect back, found by its state's HMAC. */
export type SsoAttempt = { nonce: string; codeVerifier: string; orgId: string | null };

/** Records a new attempt; abandoned ones are deleted first (unauthenticated callers make these rows). */
export async function insertSsoAttempt(db: Db, stateHash: Buffer, attempt: SsoAttempt, now: Date, expiresAt: Date): Promise<void> {
  await db('sso_attempts').where('expires_at', '<=', now).delete();
  await db('sso_attempts').insert({
    state_hash: stateHash,
    nonce: attempt.nonce,
    code_verifier: attempt.codeVerifier,
    org_id: attempt.orgId,
    expires_at: expiresAt,
  });
}

/** Spends the live attempt with this state: only one redirect back can use it. */
export async function spendSsoAttempt(db: Db, stateHash: Buffer, now: Date): Promise<SsoAttempt | undefined> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex's builder types cannot state this query's result
  const [row] = (await db('sso_attempts')
    .where({ state_hash: stateHash })
    .andWhere('expires_at', '>', now)
    .delete()
    .returning(['nonce', 'code_verifier', 'org_id'])) as Array<{ nonce: string; code_verifier: string; org_id: string | null }>;
  return row && { nonce: row.nonce, codeVerifier: row.code_verifier, orgId: row.org_id };
}
