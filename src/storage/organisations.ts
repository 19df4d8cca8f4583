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

export type OrgSettings = Organisation & { ssoDomains: string[] };
type SettingsRow = OrgRow & { sso_domains: string[] };

/** The org with its settings (the email domains whose people may join by single sign-on). */
export async function findOrgSettings(db: Db | Knex.Transaction, id: string): Promise<OrgSettings | undefined> {
  const row = await db<SettingsRow>('organisations').where({ id }).first('id', 'name', 'created_at', 'sso_domains');
  return row ? { ...toOrg(row), ssoDomains: row.sso_domains } : undefined;
}

/** Changes what is given; answers the row as it is now (undefined if the org is gone). */
export async function updateOrgSettings(
  trx: Db | Knex.Transaction,
  id: string,
  changes: { name?: string; ssoDomains?: string[] },
): Promise<OrgSettings | undefined> {
  const row: Record<string, unknown> = {};
  if (changes.name !== undefined) row.name = changes.name;
  if (changes.ssoDomains !== undefined) row.sso_domains = changes.ssoDomains;
  const [updated] = await trx<SettingsRow>('organisations')
    .where({ id })
    .update(row)
    .returning<SettingsRow[]>(['id', 'name', 'created_at', 'sso_domains']);
  return updated ? { ...toOrg(updated), ssoDomains: updated.sso_domains } : undefined;
}
