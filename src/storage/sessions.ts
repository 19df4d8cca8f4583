import type { Knex } from 'knex';
import type { Session } from '../domain/model.js';
import { columnMap, type RowOf } from './columns.js';
import type { Db } from './db.js';

const sessions = columnMap<Session>()({
  idHash: 'id_hash',
  userId: 'user_id',
  orgId: 'org_id',
  csrfHash: 'csrf_hash',
  createdAt: 'created_at',
  lastSeenAt: 'last_seen_at',
  expiresAt: 'expires_at',
  ip: 'ip',
  userAgent: 'user_agent',
});
type SessionRow = RowOf<Session, typeof sessions.columns>;
type Conn = Db | Knex.Transaction;

export async function insertSession(db: Conn, s: Session): Promise<void> {
  await db('sessions').insert(sessions.toRow(s));
}

/** The session if it is still within both limits at `now`; expired rows read as absent. */
export async function findLiveSession(db: Conn, idHash: Buffer, now: Date, idleCutoff: Date): Promise<Session | undefined> {
  const row = await db<SessionRow>('sessions')
    .where({ id_hash: idHash })
    .andWhere('expires_at', '>', now)
    .andWhere('last_seen_at', '>', idleCutoff)
    .first();
  return row ? sessions.toModel(row) : undefined;
}

export async function touchSession(db: Conn, idHash: Buffer, at: Date): Promise<void> {
  await db('sessions').where({ id_hash: idHash }).andWhere('last_seen_at', '<', at).update({ last_seen_at: at });
}

export async function deleteSession(db: Conn, idHash: Buffer): Promise<number> {
  return db('sessions').where({ id_hash: idHash }).delete();
}

/** Ends every session of a user (password change, sign out everywhere), or only those in one org. */
export async function deleteSessionsOfUser(db: Conn, userId: string, orgId?: string): Promise<number> {
  const q = db('sessions').where({ user_id: userId });
  if (orgId !== undefined) q.andWhere({ org_id: orgId });
  return q.delete();
}

export async function listSessionsOfUser(db: Conn, userId: string, now: Date): Promise<Session[]> {
  const rows = await db<SessionRow>('sessions').where({ user_id: userId }).andWhere('expires_at', '>', now).orderBy('created_at', 'desc');
  return rows.map(sessions.toModel);
}
