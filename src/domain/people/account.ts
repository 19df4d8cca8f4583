import { AppError } from '../../errors.js';
import { verifyPassword } from '../../crypto/passwords.js';
import { findOrgName, findUserById, listOrgsOfUser, setPasswordHash } from '../../storage/people.js';
import { deleteSessionsOfUser } from '../../storage/sessions.js';
import type { RequestContext } from '../audit.js';
import type { Role } from '../model.js';
import { announcePeopleChange } from './people-change.js';
import { openSession, type Person, type SessionDeps, type SignInResult } from './sessions.js';
import { assertSignInAllowed, recordSignInFailure } from './signin-throttle.js';
import { newPasswordHash } from './users.js';

/**
 * The signed-in person changes their own password: the current one proves it is them (a wrong one is
 * throttled and audited like a failed sign-in). Every session of theirs ends, in every organisation
 * (DESIGN.md), and this browser gets a new one: a new ID and a new CSRF token.
 */
export async function changeOwnPassword(
  deps: SessionDeps,
  person: Person,
  input: { currentPassword: string; newPassword: string },
  context: RequestContext,
): Promise<SignInResult> {
  const ip = context.ip ?? 'unknown';
  const actor = { type: 'user' as const, id: person.user.id, email: person.user.email };
  await assertSignInAllowed(deps, person.user.email, ip);
  const user = await findUserById(deps.db, person.user.id);
  if (!user) throw new AppError('invalid_credentials', 'the session has ended; sign in again', { reason: 'session_ended' });
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    await recordSignInFailure(deps, user.email, ip);
    const reason = user.passwordHash === null ? 'no_password' : 'wrong_password';
    deps.audit.enqueue({
      orgId: person.orgId,
      action: 'user.password_change_failed',
      actor,
      target: { type: 'user', id: user.id },
      context,
      detail: { reason },
    });
    throw new AppError('invalid_credentials', 'the current password is incorrect', { reason });
  }
  const passwordHash = await newPasswordHash(input.newPassword);
  await deps.db.transaction(async (trx) => {
    await setPasswordHash(trx, user.id, passwordHash, new Date(deps.clock.now()));
    const ended = await deleteSessionsOfUser(trx, user.id);
    await deps.audit.write(trx, {
      orgId: person.orgId,
      action: 'user.password_changed',
      actor,
      target: { type: 'user', id: user.id },
      context,
      detail: { sessions_ended: ended },
    });
  });
  await announcePeopleChange(deps, user.id);
  const org = (await findOrgName(deps.db, person.orgId)) ?? { id: person.orgId, name: '' };
  return openSession(deps, { ...user, passwordHash }, org, person.role, context);
}

/** Every organisation the person belongs to, with their role there (GET /v1/me, to switch between them). */
export function orgsOf(deps: Pick<SessionDeps, 'db'>, person: Person): Promise<Array<{ id: string; name: string; role: Role }>> {
  return listOrgsOfUser(deps.db, person.user.id);
}
