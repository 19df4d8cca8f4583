import { AppError } from '../errors.js';
import type { Db } from '../storage/db.js';
import { findOrgSettings, updateOrgSettings, type OrgSettings } from '../storage/organisations.js';
import type { AuditLog } from './audit.js';
import type { Caller } from './key-management.js';

export type { OrgSettings };
type OrgSettingsDeps = { db: Db; audit: AuditLog };

/** Email domains an org lets join by single sign-on (as `viewer`): at most this many. */
export const MAX_SSO_DOMAINS = 20;

export async function getOrgSettings(deps: Pick<OrgSettingsDeps, 'db'>, caller: Caller): Promise<OrgSettings> {
  const org = await findOrgSettings(deps.db, caller.orgId);
  if (!org) throw new AppError('not_found', 'organisation not found');
  return org;
}

/** Name and allowed SSO domains (already validated at the edge); audited as `org.updated` with what changed. */
export async function changeOrgSettings(
  deps: OrgSettingsDeps,
  caller: Caller,
  changes: { name?: string; ssoDomains?: string[] },
): Promise<OrgSettings> {
  return deps.db.transaction(async (trx) => {
    const before = await findOrgSettings(trx, caller.orgId);
    const after = before && (await updateOrgSettings(trx, caller.orgId, changes));
    if (!before || !after) throw new AppError('not_found', 'organisation not found');
    const detail: Record<string, unknown> = {};
    if (changes.name !== undefined) detail.name = { from: before.name, to: after.name };
    if (changes.ssoDomains !== undefined) detail.sso_domains = { from: before.ssoDomains, to: after.ssoDomains };
    await deps.audit.write(trx, {
      orgId: caller.orgId,
      action: 'org.updated',
      actor: caller.actor,
      target: { type: 'org', id: caller.orgId },
      context: caller.context,
      detail,
    });
    return after;
  });
}
