import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { newId } from '../ids.js';
import type { Db } from '../storage/db.js';
import { insertOrg } from '../storage/organisations.js';
import type { Organisation } from './model.js';
import type { ApiKey } from './model.js';
import { createKeyIn } from './key-management.js';
import type { Actor, AuditLog } from './audit.js';
import type { ManagementScope } from './scopes.js';

// The first admin key manages keys and reads the audit log (docs/design.md); people come with people.
const BOOTSTRAP_SCOPES: ManagementScope[] = ['keys:read', 'keys:write', 'audit:read'];

type OrgDeps = { config: Config; db: Db; clock: Clock; audit: AuditLog };

/** The one way an organisation is made: the row and its `org.created` record, in the caller's transaction. */
export async function createOrgIn(deps: OrgDeps, trx: Knex.Transaction, name: string, actor: Actor): Promise<Organisation> {
  const org: Organisation = { id: newId('org', deps.clock.now()), name, createdAt: new Date(deps.clock.now()) };
  await insertOrg(trx, org);
  await deps.audit.write(trx, { orgId: org.id, action: 'org.created', actor, target: { type: 'org', id: org.id }, detail: { name } });
  return org;
}

export function createOrganisation(deps: OrgDeps, name: string, actor: Actor): Promise<Organisation> {
  return deps.db.transaction((trx) => createOrgIn(deps, trx, name, actor));
}

/** A new organisation and its first admin key, in one transaction; the secret is returned once. */
export async function bootstrapOrganisation(
  deps: OrgDeps,
  name: string,
  actor: Actor,
): Promise<{ org: Organisation; key: ApiKey; secret: string }> {
  return deps.db.transaction(async (trx) => {
    const org = await createOrgIn(deps, trx, name, actor);
    const { key, secret } = await createKeyIn(
      deps,
      trx,
      { orgId: org.id, actor, scopes: BOOTSTRAP_SCOPES },
      {
        name: 'admin',
        description: 'first admin key, created by bootstrap',
        environment: 'live',
        scopes: [...BOOTSTRAP_SCOPES],
        // The admin token must be accepted by the management API whatever the default audience is.
        audiences: deps.config.defaultAudience === deps.config.managementAudience ? [] : [deps.config.managementAudience],
        allowedCidrs: [],
        expiresAt: null,
      },
    );
    return { org, key, secret };
  });
}
