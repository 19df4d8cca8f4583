import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { Db } from '../storage/db.js';
import {
  activeKeysForAudience,
  deleteResource,
  findResourceByAudience,
  insertResource,
  listResources,
  lockResource,
  updateResource,
} from '../storage/resources.js';
import type { AuditLog } from './audit.js';
import type { Caller } from './key-management.js';
import type { Resource, ResourceScope } from './model.js';
import { MANAGEMENT_SCOPES } from './scopes.js';

export type ResourceDeps = { config: Config; db: Db; clock: Clock; audit: AuditLog };

const notFound = (id: string) => new AppError('not_found', `resource ${id.slice(0, 64)} not found`);
const target = (id: string) => ({ type: 'resource', id });

function assertDistinct(scopes: ResourceScope[]): void {
  const seen = new Set<string>();
  for (const s of scopes) {
    if (seen.has(s.name)) throw new AppError('invalid_request', `scope "${s.name}" is declared twice`);
    seen.add(s.name);
  }
}

export async function createResource(
  deps: ResourceDeps,
  caller: Caller,
  input: { name: string; audience: string; scopes: ResourceScope[] },
): Promise<Resource> {
  assertDistinct(input.scopes);
  const now = new Date(deps.clock.now());
  const resource: Resource = { id: newId('resource', now.getTime()), orgId: caller.orgId, ...input, createdAt: now, updatedAt: now };
  return deps.db.transaction(async (trx) => {
    if (await findResourceByAudience(trx, caller.orgId, input.audience))
      throw new AppError('conflict', `a resource with audience "${input.audience}" already exists`);
    await insertResource(trx, resource);
    await deps.audit.write(trx, {
      orgId: caller.orgId,
      action: 'resource.created',
      actor: caller.actor,
      target: target(resource.id),
      context: caller.context,
      detail: { name: input.name, audience: input.audience },
    });
    return resource;
  });
}

export function listOrgResources(deps: Pick<ResourceDeps, 'db'>, caller: Caller): Promise<Resource[]> {
  return listResources(deps.db, caller.orgId);
}

/** Active keys that hold this resource's audience, and the scopes of it they use. */
async function usage(deps: ResourceDeps, trx: Knex.Transaction, r: Resource) {
  return activeKeysForAudience(trx, r.orgId, r.audience, r.audience === deps.config.defaultAudience, new Date(deps.clock.now()));
}

export async function updateOrgResource(
  deps: ResourceDeps,
  caller: Caller,
  id: string,
  patch: { name?: string; scopes?: ResourceScope[] },
): Promise<Resource> {
  if (patch.scopes) assertDistinct(patch.scopes);
  return deps.db.transaction(async (trx) => {
    const current = await lockResource(trx, caller.orgId, id);
    if (!current) throw notFound(id);
    if (patch.scopes) {
      const kept = new Set(patch.scopes.map((s) => s.name));
      const removed = current.scopes.map((s) => s.name).filter((n) => !kept.has(n));
      const user = (await usage(deps, trx, current)).find((k) => k.scopes.some((s) => removed.includes(s)));
      if (user)
        throw new AppError('conflict', `active key ${user.id} uses a scope this change removes; revoke it or change its scopes first`);
    }
    const updated = await updateResource(trx, id, { ...patch, updatedAt: new Date(deps.clock.now()) });
    await deps.audit.write(trx, {
      orgId: caller.orgId,
      action: 'resource.updated',
      actor: caller.actor,
      target: target(id),
      context: caller.context,
      detail: { fields: Object.keys(patch) },
    });
    return updated;
  });
}

/** DESIGN.md: refused with 409 while active keys use it. */
export async function deleteOrgResource(deps: ResourceDeps, caller: Caller, id: string): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const current = await lockResource(trx, caller.orgId, id);
    if (!current) throw notFound(id);
    const users = await usage(deps, trx, current);
    if (users.length > 0)
      throw new AppError('conflict', `resource "${current.name}" is used by ${users.length} active key(s), e.g. ${users[0]!.id}`);
    await deleteResource(trx, id);
    await deps.audit.write(trx, {
      orgId: caller.orgId,
      action: 'resource.deleted',
      actor: caller.actor,
      target: target(id),
      context: caller.context,
      detail: { name: current.name, audience: current.audience },
    });
  });
}

/**
 * Once an org declares resources, a key's audiences must be theirs and each of its scopes declared
 * by one of them. The management audience and scopes stay outside the catalogue: they are ours.
 */
export async function assertFitsCatalogue(
  deps: Pick<ResourceDeps, 'config'>,
  db: Db | Knex.Transaction,
  orgId: string,
  key: { scopes: readonly string[]; audiences: readonly string[] },
): Promise<void> {
  const catalogue = await listResources(db, orgId);
  if (catalogue.length === 0) return;
  const audiences = key.audiences.length > 0 ? key.audiences : [deps.config.defaultAudience];
  const mine = audiences.filter((a) => a !== deps.config.managementAudience);
  const resources = mine.map((a) => {
    const r = catalogue.find((c) => c.audience === a);
    if (!r) throw new AppError('invalid_target', `audience "${a.slice(0, 100)}" is not one of this organisation's resources`);
    return r;
  });
  for (const scope of key.scopes) {
    if ((MANAGEMENT_SCOPES as readonly string[]).includes(scope)) continue;
    if (resources.some((r) => r.scopes.some((s) => s.name === scope))) continue;
    const what =
      resources.length > 0
        ? `resource ${resources.map((r) => `"${r.name}"`).join(', ')}`
        : "any of the key's audiences (add the resource's audience)";
    throw new AppError('invalid_scope', `scope "${scope.slice(0, 100)}" is not declared by ${what}`);
  }
}
