import type { Knex } from 'knex';
import type { Role } from '../domain/model.js';
import { columnMap, type RowOf } from './columns.js';
import type { Db } from './db.js';

export type Invitation = {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  tokenHash: Buffer;
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
};

const invitations = columnMap<Invitation>()({
  id: 'id',
  orgId: 'org_id',
  email: 'email',
  role: 'role',
  tokenHash: 'token_hash',
  createdBy: 'created_by',
  createdAt: 'created_at',
  expiresAt: 'expires_at',
  acceptedAt: 'accepted_at',
  revokedAt: 'revoked_at',
});
type InvitationRow = RowOf<Invitation, typeof invitations.columns>;
type Conn = Db | Knex.Transaction;

/** Invitations still open at `now`: neither accepted, withdrawn nor expired. */
const pendingAt = (now: Date) => (q: Knex.QueryBuilder) => {
  void q.whereNull('accepted_at').whereNull('revoked_at').andWhere('expires_at', '>', now);
};

export async function insertInvitation(db: Conn, i: Invitation): Promise<void> {
  await db('invitations').insert(invitations.toRow(i));
}

/** The pending invitation with this token, locked for its acceptance. */
export async function lockPendingInvitation(trx: Knex.Transaction, tokenHash: Buffer, now: Date): Promise<Invitation | undefined> {
  const row = await trx<InvitationRow>('invitations').where({ token_hash: tokenHash }).andWhere(pendingAt(now)).forUpdate().first();
  return row ? invitations.toModel(row) : undefined;
}

export async function markAccepted(trx: Knex.Transaction, id: string, at: Date): Promise<void> {
  await trx('invitations').where({ id }).update({ accepted_at: at });
}

export async function listPendingInvitations(db: Conn, orgId: string, now: Date): Promise<Invitation[]> {
  const rows = await db<InvitationRow>('invitations').where({ org_id: orgId }).andWhere(pendingAt(now)).orderBy('id', 'desc');
  return rows.map(invitations.toModel);
}

/** Withdraws a pending invitation of the org; false when there is none with that ID. */
export async function revokeInvitation(db: Conn, orgId: string, id: string, at: Date): Promise<boolean> {
  return (
    (await db('invitations').where({ id, org_id: orgId }).whereNull('accepted_at').whereNull('revoked_at').update({ revoked_at: at })) > 0
  );
}

export async function insertSetupToken(db: Conn, tokenHash: Buffer, createdAt: Date, expiresAt: Date): Promise<void> {
  await db('setup_tokens').insert({ token_hash: tokenHash, created_at: createdAt, expires_at: expiresAt });
}

/** Spends a live setup token: found only by the one caller that marks it used. */
export async function useSetupToken(trx: Knex.Transaction, tokenHash: Buffer, now: Date): Promise<{ usedAt: Date } | undefined> {
  const spent = await trx('setup_tokens')
    .where({ token_hash: tokenHash })
    .whereNull('used_at')
    .andWhere('expires_at', '>', now)
    .update({ used_at: now });
  return spent > 0 ? { usedAt: now } : undefined;
}

/** The oldest pending invitation for this address (in one org, if given), locked for its acceptance. */
export async function lockPendingInvitationForEmail(
  trx: Knex.Transaction,
  email: string,
  orgId: string | undefined,
  now: Date,
): Promise<Invitation | undefined> {
  const q = trx<InvitationRow>('invitations').whereRaw('lower(email) = lower(?)', [email]).andWhere(pendingAt(now));
  if (orgId !== undefined) q.andWhere({ org_id: orgId });
  const row = await q.orderBy('id').forUpdate().first();
  return row ? invitations.toModel(row) : undefined;
}
