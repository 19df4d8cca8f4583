import { AppError } from '../../errors.js';
import { listKeys } from '../../storage/api-keys.js';
import { deleteMembership, listMembers, lockMembership, lockOwners, ownerEmails, updateRole, type Member } from '../../storage/people.js';
import { deleteSessionsOfUser } from '../../storage/sessions.js';
import { revokeKeyAs, type Caller, type ManagementDeps } from '../key-management.js';
import type { ApiKey, Role } from '../model.js';
import { MANAGEMENT_SCOPES } from '../scopes.js';
import { ADMIN_MANAGED_ROLES, roleHas, scopesAllowedFor } from './roles.js';
import { announcePeopleChange, type PeopleChangeDeps } from './people-change.js';

export type { Member };

type MemberDeps = ManagementDeps & PeopleChangeDeps;

export function listOrgMembers(deps: Pick<ManagementDeps, 'db'>, caller: Caller): Promise<Member[]> {
  return listMembers(deps.db, caller.orgId);
}

const notFound = (userId: string) => new AppError('not_found', `member ${userId.slice(0, 64)} not found`);

/** Only owners touch owners or make owners; admins (and keys with members:write) manage the rest. */
function assertMayManage(caller: Caller, from: Role, to?: Role): void {
  if (caller.person?.role === 'owner') return;
  if (ADMIN_MANAGED_ROLES.includes(from) && (to === undefined || ADMIN_MANAGED_ROLES.includes(to))) return;
  throw new AppError('forbidden', 'only an owner may change or remove an owner, or make one');
}

/** The keys that `role` no longer allows their owner to hold: all of them without keys:write. */
function keysBeyond(role: Role, keys: ApiKey[]): ApiKey[] {
  if (!roleHas(role, 'keys:write')) return keys;
  return keys.filter((k) => scopesAllowedFor(role, k.scopes, MANAGEMENT_SCOPES) !== undefined);
}

async function activeKeysOf(deps: ManagementDeps, orgId: string, userId: string): Promise<ApiKey[]> {
  return listKeys(deps.db, { orgId, ownerUserId: userId, status: 'active', limit: 10_000, now: new Date(deps.clock.now()) });
}

/** DESIGN.md: keys outliving their owner's access are revoked at once, with the reason recorded and audited. */
async function revokeOwnedKeys(
  deps: ManagementDeps,
  caller: Caller,
  keys: ApiKey[],
  reason: 'owner_removed' | 'owner_demoted',
): Promise<string[]> {
  for (const key of keys) await revokeKeyAs(deps, caller, key.id, reason);
  return keys.map((k) => k.id);
}

const memberTarget = (userId: string) => ({ type: 'user', id: userId });

export async function changeMemberRole(
  deps: MemberDeps,
  caller: Caller,
  userId: string,
  role: Role,
): Promise<{ role: Role; revokedKeys: string[] }> {
  const previous = await deps.db.transaction(async (trx) => {
    const owners = await lockOwners(trx, caller.orgId);
    const member = await lockMembership(trx, userId, caller.orgId);
    if (!member) throw notFound(userId);
    assertMayManage(caller, member.role, role);
    if (member.role === 'owner' && role !== 'owner' && owners.length <= 1) {
      throw new AppError('conflict', 'the last owner cannot be demoted; make another owner first');
    }
    if (member.role !== role) {
      await updateRole(trx, userId, caller.orgId, role);
      await deps.audit.write(trx, {
        orgId: caller.orgId,
        action: 'member.role_changed',
        actor: caller.actor,
        target: memberTarget(userId),
        context: caller.context,
        detail: { from: member.role, to: role },
      });
    }
    return member.role;
  });
  if (previous === role) return { role, revokedKeys: [] };
  await announcePeopleChange(deps, userId);
  const revokedKeys = await revokeOwnedKeys(
    deps,
    caller,
    keysBeyond(role, await activeKeysOf(deps, caller.orgId, userId)),
    'owner_demoted',
  );
  return { role, revokedKeys };
}

export async function removeMember(deps: MemberDeps, caller: Caller, userId: string): Promise<{ revokedKeys: string[] }> {
  await deps.db.transaction(async (trx) => {
    const owners = await lockOwners(trx, caller.orgId);
    const member = await lockMembership(trx, userId, caller.orgId);
    if (!member) throw notFound(userId);
    // Leaving is removing oneself: allowed for anyone but the last owner.
    if (caller.person?.userId !== userId) assertMayManage(caller, member.role);
    if (member.role === 'owner' && owners.length <= 1)
      throw new AppError('conflict', 'the last owner cannot leave or be removed; make another owner first');
    await deleteMembership(trx, userId, caller.orgId);
    await deleteSessionsOfUser(trx, userId, caller.orgId);
    await deps.audit.write(trx, {
      orgId: caller.orgId,
      action: 'member.removed',
      actor: caller.actor,
      target: memberTarget(userId),
      context: caller.context,
      detail: { role: member.role },
    });
  });
  await announcePeopleChange(deps, userId);
  return { revokedKeys: await revokeOwnedKeys(deps, caller, await activeKeysOf(deps, caller.orgId, userId), 'owner_removed') };
}

/**
 * Hands the organisation over: the member becomes an owner and the signed-in owner steps down to
 * admin, in one transaction (the org never has no owner, nor an owner who did not agree to it).
 */
export async function transferOwnership(deps: MemberDeps, caller: Caller, userId: string): Promise<{ revokedKeys: string[] }> {
  const self = caller.person;
  if (self?.role !== 'owner') throw new AppError('forbidden', 'only an owner may transfer ownership');
  if (self.userId === userId) throw new AppError('conflict', 'you are already an owner; name the member who takes over');
  await deps.db.transaction(async (trx) => {
    await lockOwners(trx, caller.orgId);
    const member = await lockMembership(trx, userId, caller.orgId);
    if (!member) throw notFound(userId);
    if (member.role !== 'owner') await updateRole(trx, userId, caller.orgId, 'owner');
    await updateRole(trx, self.userId, caller.orgId, 'admin');
    await deps.audit.write(trx, {
      orgId: caller.orgId,
      action: 'org.ownership_transferred',
      actor: caller.actor,
      target: memberTarget(userId),
      context: caller.context,
      detail: { from: self.userId, to: userId, previous_role: member.role },
    });
  });
  await announcePeopleChange(deps, userId);
  await announcePeopleChange(deps, self.userId);
  const beyond = keysBeyond('admin', await activeKeysOf(deps, caller.orgId, self.userId));
  return { revokedKeys: await revokeOwnedKeys(deps, caller, beyond, 'owner_demoted') };
}

/** Owners' addresses by user ID, for the `owner.email` of a page of keys. */
export function keyOwnerEmails(
  deps: Pick<ManagementDeps, 'db'>,
  keys: ReadonlyArray<Pick<ApiKey, 'ownerUserId'>>,
): Promise<Map<string, string>> {
  return ownerEmails(deps.db, keys);
}
