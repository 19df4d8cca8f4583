import type { Knex } from 'knex';
import { AppError } from '../../errors.js';
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
import type { Role, User } from '../model.js';
import { ADMIN_MANAGED_ROLES } from './roles.js';
import { credentialsFailed, openSession, type SessionDeps, type SignInResult } from './sessions.js';
import { assertSignInAllowed, recordSignInFailure } from './signin-throttle.js';
import { consoleLink, findByToken, hashToken, newToken } from './single-use-tokens.js';
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
  const token = newToken();
  const now = deps.clock.now();
  const invitation: Invitation = {
    id: newId('invitation', now),
    orgId: caller.orgId,
    email,
    role,
    tokenHash: hashToken(deps.config, token),
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
  return { invitation, acceptUrl: consoleLink(deps.config, 'accept', token) };
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
  const now = new Date(deps.clock.now());
  const { user, invitation } = await deps.db.transaction(async (trx) => {
    const unusable = new AppError('not_found', UNUSABLE);
    const invitation = await findByToken(deps.config, input.token, (hash) => lockPendingInvitation(trx, hash, now), unusable);
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
    await joinByInvitation(deps, trx, { user, invitation, now, context });
    return { user, invitation };
  });
  return signInAsInvited(deps, user, invitation, context);
}

type Joining = { user: User; invitation: Invitation; now: Date; context: RequestContext };

/** In the caller's transaction: the person joins the invitation's org in its role, and the invitation is spent and audited. */
export async function joinByInvitation(
  deps: SessionDeps,
  trx: Knex.Transaction,
  { user, invitation, now, context }: Joining,
  detail: Record<string, unknown> = {},
): Promise<void> {
  const actor = { type: 'user' as const, id: user.id, email: user.email };
  await addMemberIn(deps, trx, user, invitation.orgId, invitation.role, actor);
  await markAccepted(trx, invitation.id, now);
  await deps.audit.write(trx, {
    orgId: invitation.orgId,
    action: 'invitation.accepted',
    actor,
    target: { type: 'invitation', id: invitation.id },
    context,
    detail: { role: invitation.role, ...detail },
  });
}

/** The session of a person who has just joined by an invitation. */
export async function signInAsInvited(
  deps: SessionDeps,
  user: User,
  invitation: Invitation,
  context: RequestContext,
): Promise<SignInResult> {
  const org = (await findOrgName(deps.db, invitation.orgId)) ?? { id: invitation.orgId, name: '' };
  return openSession(deps, user, org, invitation.role, context);
}
