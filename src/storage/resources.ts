import type { Knex } from 'knex';
import type { Resource } from '../domain/model.js';
import { columnMap, type RowOf } from './columns.js';
import type { Db } from './db.js';

const resources = columnMap<Resource>()({
  id: 'id',
  orgId: 'org_id',
  name: 'name',
  audience: 'audience',
  scopes: 'scopes',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
});
type ResourceRow = RowOf<Resource, typeof resources.columns>;
type Conn = Db | Knex.Transaction;

const toRow = (r: Partial<Resource>) => {
  const row = resources.toRow(r) as Record<string, unknown>;
  if (r.scopes) row.scopes = JSON.stringify(r.scopes); // jsonb: an array must be sent as JSON text
  return row;
};

export async function insertResource(db: Conn, r: Resource): Promise<void> {
  await db('resources').insert(toRow(r));
}

export async function listResources(db: Conn, orgId: string): Promise<Resource[]> {
  return (await db<ResourceRow>('resources').where({ org_id: orgId }).orderBy('id')).map(resources.toModel);
}

export async function lockResource(trx: Knex.Transaction, orgId: string, id: string): Promise<Resource | undefined> {
  const row = await trx<ResourceRow>('resources').where({ org_id: orgId, id }).forUpdate().first();
  return row ? resources.toModel(row) : undefined;
}

export async function findResourceByAudience(db: Conn, orgId: string, audience: string): Promise<Resource | undefined> {
  const row = await db<ResourceRow>('resources').where({ org_id: orgId, audience }).first();
  return row ? resources.toModel(row) : undefined;
}

export async function updateResource(trx: Knex.Transaction, id: string, changes: Partial<Resource>): Promise<Resource> {
  const [row] = (await trx('resources').where({ id }).update(toRow(changes)).returning('*')) as ResourceRow[];
  if (!row) throw new TypeError(`resource ${id} vanished inside its transaction`);
  return resources.toModel(row);
}

export async function deleteResource(trx: Knex.Transaction, id: string): Promise<void> {
  await trx('resources').where({ id }).delete();
}

/** Active keys of the org whose effective audiences include `audience` (`isDefault`: keys without audiences too). */
export async function activeKeysForAudience(
  db: Conn,
  orgId: string,
  audience: string,
  isDefault: boolean,
  now: Date,
): Promise<Array<{ id: string; scopes: string[] }>> {
  const q = db('api_keys')
    .where({ org_id: orgId })
    .whereNull('revoked_at')
    .andWhere((w) => void w.whereNull('expires_at').orWhere('expires_at', '>', now))
    .andWhere((w) => {
      w.whereRaw('? = ANY(audiences)', [audience]);
      if (isDefault) w.orWhereRaw('cardinality(audiences) = 0');
    });
  return q.select('id', 'scopes');
}
