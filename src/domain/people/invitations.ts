import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors.js';
import { hashSecret } from '../../crypto/secrets.js';
import { verifyPassword } from '../../crypto/passwords.js';
import { newId } from '../../ids.js';
import {
  insertInvitation,
  listPendingInvitations,
  lockPendingInvitation,
  markAccepted,
  revokeInvitation,
  type Invitation,
} from '../../storage/invitations.js';
import { findMembership, findOrgName, findUserByEmail } from '../../storage/people.js';
import type { RequestContext } from '../audit.js';
import type { Caller } from '../key-management.js';
import type { Role } from '../model.js';
import { ADMIN_MANAGED_ROLES } from './roles.js';
import { credentialsFailed, openSession, type SessionDeps, type SignInResult } from './sessions.js';
import { assertSignInAllowed, recordSignInFailure } from './signin-throttle.js';
import { addMemberIn, createUserIn, isEmail, newPasswordHash } from './users.js';

export type { Invitation };

export const INVITATION_DAYS = 7;

/** An invitation and its accept URL, which holds the only copy of the token. */
export async function invite(
  deps: SessionDeps,
  caller: Caller,
  email: string,
  role: Role,
): Promise<{ invitation: Invitation; acceptUrl: string }> {
  if (!isEmail(email)) throw new AppError('invalid_request', '"email" is not an email address');
  if (caller.person?.role !== 'owner' && !ADMIN_MANAGED_ROLES.includes(role))
    throw new AppError('forbidden', 'only an owner may invite an owner');
  const existing = await findUserByEmail(deps.db, email);
  if (existing && (await findMembership(deps.db, existing.id, caller.orgId)))
    throw new AppError('conflict', 'this person is already a member');
  const token = randomBytes(32).toString('base64url');
  const now = deps.clock.now();
  const invitation: Invitation = {
    id: newId('invitation', now),
    orgId: caller.orgId,
    email,
    role,
    tokenHash: hashSecret(deps.config.secretPepper, token),
    createdBy: caller.actor.id ?? caller.actor.type,
    createdAt: new Date(now),
    expiresAt: new Date(now + INVITATION_DAYS * 86_400_000),
    acceptedAt: null,
    revokedAt: null,
  };
  await deps.db.transaction(async (trx) => {
    await insertInvitation(trx, invitation);
    await deps.audit.write(trx, {
      orgId: caller.orgId,
      action: 'invitation.created',
      actor: caller.actor,
      target: { type: 'invitation', id: invitation.id },
      context: caller.context,
      detail: { email, role },
    });
  });
  // A fragment, not a query: browsers never send it to a server or put it in a Referer.
  return { invitation, acceptUrl: `${deps.config.issuer}/console/accept#token=${token}` };
}

export function listInvitations(deps: SessionDeps, caller: Caller): Promise<Invitation[]> {
  return listPendingInvitations(deps.db, caller.orgId, new Date(deps.clock.now()));
}

export async function withdrawInvitation(deps: SessionDeps, caller: Caller, id: string): Promise<void> {
  if (!(await revokeInvitation(deps.db, caller.orgId, id, new Date(deps.clock.now()))))
    throw new AppError('not_found', `invitation ${id.slice(0, 64)} not found`);
  await deps.audit.write(deps.db, {
    orgId: caller.orgId,
    action: 'invitation.revoked',
    actor: caller.actor,
    target: { type: 'invitation', id },
    context: caller.context,
  });
}

const UNUSABLE = 'invitation is invalid, used, withdrawn or expired';

/**
 * Accepts an invitation (single use, bound to its email): a new account, or, for an address that
 * already has one, a new membership once its password is proven. Signs the person in.
 */
export async function acceptInvitation(
  deps: SessionDeps,
  input: { token: string; name: string; password: string },
  context: RequestContext,
): Promise<SignInResult> {
  const tokenHash = hashSecret(deps.config.secretPepper, input.token);
  const now = new Date(deps.clock.now());
  const { user, invitation } = await deps.db.transaction(async (trx) => {
    const invitation = await lockPendingInvitation(trx, tokenHash, now);
    if (!invitation) throw new AppError('not_found', UNUSABLE);
    let user = await findUserByEmail(trx, invitation.email);
    if (user) {
      // The invitation names an existing account: only its owner may add it to the org, and a wrong
      // password here is a guess like one at POST /v1/session: throttled and audited the same way.
      const ip = context.ip ?? 'unknown';
      await assertSignInAllowed(deps, invitation.email, ip);
      if (!(await verifyPassword(user.passwordHash, input.password))) {
        await recordSignInFailure(deps, invitation.email, ip);
        const reason = user.passwordHash === null ? 'no_password' : 'wrong_password';
        throw credentialsFailed(deps, invitation.orgId, reason, invitation.email, context, 'invitation');
      }
      if (await findMembership(trx, user.id, invitation.orgId)) throw new AppError('conflict', 'this person is already a member');
    } else {
      user = await createUserIn(deps, trx, {
        email: invitation.email,
        name: input.name,
        passwordHash: await newPasswordHash(input.password),
      });
    }
    const actor = { type: 'user' as const, id: user.id, email: user.email };
    await addMemberIn(deps, trx, user, invitation.orgId, invitation.role, actor);
    await markAccepted(trx, invitation.id, now);
    await deps.audit.write(trx, {
      orgId: invitation.orgId,
      action: 'invitation.accepted',
      actor,
      target: { type: 'invitation', id: invitation.id },
      context,
      detail: { role: invitation.role },
    });
    return { user, invitation };
  });
  const org = (await findOrgName(deps.db, invitation.orgId)) ?? { id: invitation.orgId, name: '' };
  return openSession(deps, user, org, invitation.role, context);
}
