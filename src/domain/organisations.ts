import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { newId } from '../ids.js';
import type { Db } from '../storage/db.js';
import { insertOrg, type Organisation } from '../storage/organisations.js';
import type { ApiKey } from '../storage/api-keys.js';
import { createApiKey } from './api-keys.js';
import type { Actor, AuditLog } from './audit.js';
import { MANAGEMENT_SCOPES } from './scopes.js';

type OrgDeps = { config: Config; db: Db; clock: Clock; audit: AuditLog };

export async function createOrganisation(deps: OrgDeps, name: string, actor: Actor): Promise<Organisation> {
  const org: Organisation = { id: newId('org', deps.clock.now()), name, createdAt: new Date(deps.clock.now()) };
  await deps.db.transaction(async (trx) => {
    await insertOrg(trx, org);
    await deps.audit.write(trx, { orgId: org.id, action: 'org.created', actor, target: { type: 'org', id: org.id }, detail: { name } });
  });
  return org;
}

/** A new organisation and its first admin key, in one transaction; the secret is returned once. */
export async function bootstrapOrganisation(
  deps: OrgDeps,
  name: string,
  actor: Actor,
): Promise<{ org: Organisation; key: ApiKey; secret: string }> {
  const now = deps.clock.now();
  const org: Organisation = { id: newId('org', now), name, createdAt: new Date(now) };
  return deps.db.transaction(async (trx) => {
    await insertOrg(trx, org);
    const { key, secret } = await createApiKey(deps, trx, {
      orgId: org.id,
      name: 'admin',
      description: 'first admin key, created by bootstrap',
      environment: 'live',
      scopes: [...MANAGEMENT_SCOPES],
      // The admin token must be accepted by the management API whatever the default audience is.
      audiences: deps.config.defaultAudience === deps.config.managementAudience ? [] : [deps.config.managementAudience],
      expiresAt: null,
      createdBy: actor.id ?? actor.type,
    });
    await deps.audit.write(trx, { orgId: org.id, action: 'org.created', actor, target: { type: 'org', id: org.id }, detail: { name } });
    await deps.audit.write(trx, {
      orgId: org.id,
      action: 'key.created',
      actor,
      target: { type: 'key', id: key.id },
      detail: { scopes: key.scopes, environment: key.environment },
    });
    return { org, key, secret };
  });
}
