import type { Role } from '../model.js';
import type { ManagementScope } from '../scopes.js';

export const ROLES = ['owner', 'admin', 'developer', 'viewer'] as const satisfies readonly Role[];

/** What a person may do; each management route names the one it needs (src/http/route.ts). */
export const PERMISSIONS = [
  'org:read',
  // Org settings: the name and the email domains allowed to join by single sign-on.
  'org:write',
  'members:read',
  'members:write',
  'members:manage_owners',
  'keys:read',
  'keys:write',
  // Every key of the org, not only one's own.
  'keys:all',
  'audit:read',
  'resources:read',
  'resources:write',
  'signing_keys:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** DESIGN.md "People, roles and sign-in": the one table every permission check reads. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: [
    'org:read',
    'members:read',
    'members:write',
    'keys:read',
    'keys:write',
    'keys:all',
    'audit:read',
    'resources:read',
    'resources:write',
  ],
  developer: ['org:read', 'members:read', 'keys:read', 'keys:write', 'resources:read'],
  viewer: ['org:read', 'members:read'],
};

/**
 * The management scopes a key owned by a person of this role may hold: never more than the role
 * itself may do. A developer's key holds none (keys:write on a token would reach every key of the org).
 */
export const ROLE_KEY_SCOPES: Record<Role, readonly ManagementScope[]> = {
  owner: ['keys:read', 'keys:write', 'audit:read'],
  admin: ['keys:read', 'keys:write', 'audit:read'],
  developer: [],
  viewer: [],
};

/** The roles an admin may invite, change and remove; only owners touch owners. */
export const ADMIN_MANAGED_ROLES: readonly Role[] = ['admin', 'developer', 'viewer'];

export const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);

export const roleHas = (role: Role, permission: Permission): boolean => ROLE_PERMISSIONS[role].includes(permission);

/** May a person of `role` own a key with these scopes? Only management scopes are bounded by role. */
export function scopesAllowedFor(role: Role, scopes: readonly string[], managementScopes: readonly string[]): string | undefined {
  return scopes.find((s) => managementScopes.includes(s) && !(ROLE_KEY_SCOPES[role] as readonly string[]).includes(s));
}
