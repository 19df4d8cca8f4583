import { can, type Session } from '../session';

export type Role = Session['role'];
export const ROLES: readonly Role[] = ['owner', 'admin', 'developer', 'viewer'];

export const ROLE_HINTS: Record<Role, string> = {
  owner: 'everything, including members’ roles and signing keys',
  admin: 'every key, audit log, resources, invitations',
  developer: 'their own keys; reads the resource catalogue',
  viewer: 'sees the organisation and its members',
};

/** The roles this reader may give or take away; only owners touch owners (the API enforces it too). */
export function manageableRoles(session: Session | null | undefined): readonly Role[] {
  if (!can(session, 'members:write')) return [];
  return can(session, 'members:manage_owners') ? ROLES : ROLES.filter((r) => r !== 'owner');
}
