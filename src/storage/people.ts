import type { Knex } from 'knex';
import type { Membership, Organisation, Role, User } from '../domain/model.js';
import { columnMap, type RowOf } from './columns.js';
import type { Db } from './db.js';

const users = columnMap<User>()({
  id: 'id',
  email: 'email',
  name: 'name',
  passwordHash: 'password_hash',
  passwordChangedAt: 'password_changed_at',
  createdAt: 'created_at',
});
type UserRow = RowOf<User, typeof users.columns>;

const memberships = columnMap<Membership>()({ userId: 'user_id', orgId: 'org_id', role: 'role', createdAt: 'created_at' });
type MembershipRow = RowOf<Membership, typeof memberships.columns>;

type Conn = Db | Knex.Transaction;

export async function insertUser(db: Conn, user: User): Promise<void> {
  await db('users').insert(users.toRow(user));
}

export async function findUserByEmail(db: Conn, email: string): Promise<User | undefined> {
  const row = await db<UserRow>('users').whereRaw('lower(email) = lower(?)', [email]).first();
  return row ? users.toModel(row) : undefined;
}

export async function findUserById(db: Conn, id: string): Promise<User | undefined> {
  const row = await db<UserRow>('users').where({ id }).first();
  return row ? users.toModel(row) : undefined;
}

export async function countUsers(db: Conn): Promise<number> {
  const row = (await db('users').count<{ n: string }[]>({ n: '*' }))[0];
  return Number(row?.n ?? 0);
}

export async function setPasswordHash(db: Conn, userId: string, passwordHash: string, at: Date): Promise<boolean> {
  return (await db('users').where({ id: userId }).update({ password_hash: passwordHash, password_changed_at: at })) > 0;
}

export async function insertMembership(db: Conn, m: Membership): Promise<void> {
  await db('memberships').insert(memberships.toRow(m));
}

export async function findMembership(db: Conn, userId: string, orgId: string): Promise<Membership | undefined> {
  const row = await db<MembershipRow>('memberships').where({ user_id: userId, org_id: orgId }).first();
  return row ? memberships.toModel(row) : undefined;
}

/** The row locked for the rest of the transaction (role changes and removals serialise per org). */
export async function lockMembership(trx: Knex.Transaction, userId: string, orgId: string): Promise<Membership | undefined> {
  const row = await trx<MembershipRow>('memberships').where({ user_id: userId, org_id: orgId }).forUpdate().first();
  return row ? memberships.toModel(row) : undefined;
}

/** The user's organisations, oldest membership first. */
export async function listMembershipsOfUser(db: Conn, userId: string): Promise<Membership[]> {
  return (await db<MembershipRow>('memberships').where({ user_id: userId }).orderBy('created_at')).map(memberships.toModel);
}

export type Member = { user: User; role: Role; joinedAt: Date };

export async function listMembers(db: Conn, orgId: string): Promise<Member[]> {
  const rows = await db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.org_id', orgId)
    .orderBy('m.created_at')
    .select<Array<UserRow & { role: Role; joined_at: Date }>>('u.*', 'm.role', { joined_at: 'm.created_at' });
  return rows.map((r) => ({ user: users.toModel(r), role: r.role, joinedAt: r.joined_at }));
}

export async function updateRole(db: Conn, userId: string, orgId: string, role: Role): Promise<void> {
  await db('memberships').where({ user_id: userId, org_id: orgId }).update({ role });
}

export async function deleteMembership(db: Conn, userId: string, orgId: string): Promise<void> {
  await db('memberships').where({ user_id: userId, org_id: orgId }).delete();
}

/** Owners of an org, locked: the last-owner rule is checked against rows no one else can change meanwhile. */
export async function lockOwners(trx: Knex.Transaction, orgId: string): Promise<string[]> {
  const rows = await trx<MembershipRow>('memberships').where({ org_id: orgId, role: 'owner' }).forUpdate().select('user_id');
  return rows.map((r) => r.user_id);
}

export async function findOrgName(db: Conn, orgId: string): Promise<Pick<Organisation, 'id' | 'name'> | undefined> {
  return db<{ id: string; name: string }>('organisations').where({ id: orgId }).first('id', 'name');
}

/** The addresses of the people owning these keys, by user ID: one query for a whole page. */
export async function ownerEmails(db: Conn, keys: ReadonlyArray<{ ownerUserId: string | null }>): Promise<Map<string, string>> {
  const ids = [...new Set(keys.map((k) => k.ownerUserId).filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  const rows = await db<{ id: string; email: string }>('users').whereIn('id', ids).select('id', 'email');
  return new Map(rows.map((r) => [r.id, r.email]));
}

/** The user's organisations with their names and the user's role in each, oldest membership first. */
export async function listOrgsOfUser(db: Conn, userId: string): Promise<Array<{ id: string; name: string; role: Role }>> {
  return db('memberships as m')
    .join('organisations as o', 'o.id', 'm.org_id')
    .where('m.user_id', userId)
    .orderBy('m.created_at')
    .select<Array<{ id: string; name: string; role: Role }>>({ id: 'o.id', name: 'o.name', role: 'm.role' });
}
