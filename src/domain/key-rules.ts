import type { Knex } from 'knex';
import { AppError } from '../errors.js';
import { findMembership } from '../storage/people.js';
import { ipAllowed, parseCidr } from './cidr.js';
import type { Caller, KeyPatch } from './key-management.js';
import type { ApiKey } from './model.js';
import { roleHas, scopesAllowedFor } from './people/roles.js';
import { MANAGEMENT_SCOPES } from './scopes.js';

// What a caller may do to a key: its grant ceiling, the owner's role ceiling, own keys only for a
// developer, no loosening of a more powerful key, no second life for a key on its way out.

/** The person whose keys alone the caller may see, if the caller is limited to their own. */
export const ownKeysOf = (caller: Caller): string | undefined =>
  caller.person && !roleHas(caller.person.role, 'keys:all') ? caller.person.userId : undefined;

/** A key never grants a management scope that the caller's own token does not hold. */
export function assertGrantable(caller: Caller, scopes: string[]): void {
  const missing = scopes.find((s) => (MANAGEMENT_SCOPES as readonly string[]).includes(s) && !caller.scopes.includes(s));
  if (missing && caller.person) {
    throw new AppError('forbidden', `a key owned by a ${caller.person.role} cannot hold scope "${missing}"`);
  }
  if (missing) {
    throw new AppError('insufficient_scope', `cannot grant scope "${missing}": the calling token does not hold it`, undefined, {
      requiredScope: missing,
    });
  }
}

/** Another person's key is as invisible to a developer as another org's. */
export const mayManage = (caller: Caller, key: ApiKey) => {
  const own = ownKeysOf(caller);
  return own === undefined || key.ownerUserId === own;
};

/** DESIGN.md: a key a person owns never holds more than that person's role allows, whoever changes it. */
export async function assertOwnerMayHold(trx: Knex.Transaction, key: ApiKey, scopes: readonly string[]): Promise<void> {
  if (key.ownerUserId === null) return;
  const owner = await findMembership(trx, key.ownerUserId, key.orgId);
  const excess = owner ? scopesAllowedFor(owner.role, scopes, MANAGEMENT_SCOPES) : scopes[0];
  if (excess !== undefined)
    throw new AppError('forbidden', `the key's owner (${owner?.role ?? 'no longer a member'}) may not hold scope "${excess}"`);
}

/** `next` ends later than `current` (null: never). */
const expiresLater = (current: Date | null, next: Date | null) => current !== null && (next === null || next.getTime() > current.getTime());

/** Expired and rotated keys stay on their way out: a PATCH never gives them a longer life. */
export function assertNotRevived(key: ApiKey, patch: KeyPatch, nowMs: number): void {
  if (patch.expiresAt === undefined) return;
  if (key.expiresAt && key.expiresAt.getTime() <= nowMs) {
    throw new AppError('conflict', 'an expired key cannot be brought back; create or rotate a key');
  }
  if (key.replacedBy && expiresLater(key.expiresAt, patch.expiresAt)) {
    throw new AppError('conflict', `a rotated key can only expire earlier; its replacement is ${key.replacedBy}`);
  }
}

/** Is every address of `cidr` inside one of `ranges`? (A range as wide or wider, of the same family, holding its address.) */
function covered(cidr: string, ranges: string[]): boolean {
  const c = parseCidr(cidr);
  return (
    c !== undefined &&
    ranges.some((r) => {
      const range = parseCidr(r);
      return range !== undefined && range.family === c.family && range.prefix <= c.prefix && ipAllowed([r], c.address);
    })
  );
}

/** The first field of `patch` that would let the key do more than it can now, if any. */
function loosenedField(key: ApiKey, patch: KeyPatch, defaultAudience: string): string | undefined {
  const { allowedCidrs: cidrs, expiresAt, audiences, scopes } = patch;
  // An empty allowlist admits every address; an empty audience list means the default audience.
  if (cidrs && key.allowedCidrs.length > 0 && (cidrs.length === 0 || !cidrs.every((c) => covered(c, key.allowedCidrs))))
    return 'allowed_cidrs';
  if (expiresAt !== undefined && expiresLater(key.expiresAt, expiresAt)) return 'expires_at';
  const effective = (list: string[]) => (list.length > 0 ? list : [defaultAudience]);
  if (audiences && effective(audiences).some((a) => !effective(key.audiences).includes(a))) return 'audiences';
  if (scopes && scopes.some((s) => !key.scopes.includes(s))) return 'scopes';
  return undefined;
}

/**
 * DESIGN.md: a key never loosens (allowlist, expiry, audiences, scopes) a key that holds a
 * management scope it lacks: that would hand the caller more of a power it was never given.
 * Narrowing, renaming and describing stay allowed.
 */
export function assertMayLoosen(caller: Caller, key: ApiKey, patch: KeyPatch, defaultAudience: string): void {
  const lacking = key.scopes.find((s) => (MANAGEMENT_SCOPES as readonly string[]).includes(s) && !caller.scopes.includes(s));
  if (lacking === undefined) return;
  const field = loosenedField(key, patch, defaultAudience);
  if (field === undefined) return;
  throw new AppError(
    'insufficient_scope',
    `cannot loosen a key holding scope "${lacking}": the calling token does not hold it`,
    { field },
    { requiredScope: lacking },
  );
}
