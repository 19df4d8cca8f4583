import type { Knex } from 'knex';
import type { Role, Session, User } from '../domain/model.js';
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

export async function touchSession(db: Conn, idHash: Buffer, at: Date): Promise<void> {
  await db('sessions').where({ id_hash: idHash }).andWhere('last_seen_at', '<', at).update({ last_seen_at: at });
}

/** The user whose session it was (none when there was no such session). */
export async function deleteSession(db: Conn, idHash: Buffer): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex's builder types cannot state this query's result
  const rows = (await db('sessions').where({ id_hash: idHash }).delete().returning('user_id')) as Array<{ user_id: string }>;
  return rows.map((r) => r.user_id);
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

/**
 * The live session, its user and their role in its org, in one round trip (every session request
 * runs this). Absent when the session is gone or expired, or the membership has ended.
 */
export async function findLiveSessionWithMember(
  db: Conn,
  idHash: Buffer,
  now: Date,
  idleCutoff: Date,
): Promise<{ session: Session; user: User; role: Role } | undefined> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex's builder types cannot state this query's result
  const row = (await db('sessions as s')
    .join('users as u', 'u.id', 's.user_id')
    .join('memberships as m', (j) => j.on('m.user_id', '=', 's.user_id').andOn('m.org_id', '=', 's.org_id'))
    .where('s.id_hash', idHash)
    .andWhere('s.expires_at', '>', now)
    .andWhere('s.last_seen_at', '>', idleCutoff)
    .first(
      's.*',
      {
        u_email: 'u.email',
        u_name: 'u.name',
        u_password_hash: 'u.password_hash',
        u_password_changed_at: 'u.password_changed_at',
        u_created_at: 'u.created_at',
      },
      { m_role: 'm.role' },
    )) as
    | (SessionRow & {
        u_email: string;
        u_name: string;
        u_password_hash: string | null;
        u_password_changed_at: Date | null;
        u_created_at: Date;
        m_role: Role;
      })
    | undefined;
  if (!row) return undefined;
  const session = sessions.toModel(row);
  const user: User = {
    id: session.userId,
    email: row.u_email,
    name: row.u_name,
    passwordHash: row.u_password_hash,
    passwordChangedAt: row.u_password_changed_at,
    createdAt: row.u_created_at,
  };
  return { session, user, role: row.m_role };
}
