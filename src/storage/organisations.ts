import type { Knex } from 'knex';
import type { Organisation } from '../domain/model.js';
import type { Db } from './db.js';

type OrgRow = { id: string; name: string; created_at: Date };

const toOrg = (r: OrgRow): Organisation => ({ id: r.id, name: r.name, createdAt: r.created_at });

export async function insertOrg(db: Db | Knex.Transaction, org: Organisation): Promise<void> {
  await db('organisations').insert({ id: org.id, name: org.name, created_at: org.createdAt });
}

export async function findOrgById(db: Db | Knex.Transaction, id: string): Promise<Organisation | undefined> {
  const row = await db<OrgRow>('organisations').where({ id }).first();
  return row ? toOrg(row) : undefined;
}

/** Every organisation, oldest first (IDs are ULIDs). */
export async function listOrgs(db: Db): Promise<Organisation[]> {
  return (await db<OrgRow>('organisations').orderBy('id')).map(toOrg);
}
