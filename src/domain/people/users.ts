import type { Knex } from 'knex';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import { hashPassword, passwordProblem } from '../../crypto/passwords.js';
import { newId } from '../../ids.js';
import type { Db } from '../../storage/db.js';
import { findUserByEmail, insertMembership, insertUser, setPasswordHash } from '../../storage/people.js';
import { deleteSessionsOfUser } from '../../storage/sessions.js';
import type { Actor, AuditLog } from '../audit.js';
import type { Organisation, Role, User } from '../model.js';
import { announcePeopleChange, type PeopleChangeDeps } from './people-change.js';
import { createOrgIn } from '../organisations.js';
import { findOrgById } from '../../storage/organisations.js';

export type PeopleDeps = { config: Config; db: Db; clock: Clock; audit: AuditLog };

// A practical check (something@something.tld, no spaces); the address is proven by invitation or SSO, not by syntax.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;
export const isEmail = (value: string): boolean => value.length <= 254 && EMAIL.test(value);

/** A password fit to store, or a 400 naming the rule it breaks. */
export async function newPasswordHash(password: string): Promise<string> {
  const problem = passwordProblem(password);
  if (problem !== undefined) throw new AppError('invalid_request', problem);
  return hashPassword(password);
}

/** A new account in the caller's transaction; an address already taken (in any case) is a 409. */
export async function createUserIn(
  deps: Pick<PeopleDeps, 'clock'>,
  trx: Knex.Transaction,
  input: { email: string; name: string; passwordHash: string | null },
): Promise<User> {
  if (!isEmail(input.email)) throw new AppError('invalid_request', '"email" is not an email address');
  if (await findUserByEmail(trx, input.email)) throw new AppError('conflict', 'an account with this email already exists');
  const now = new Date(deps.clock.now());
  const user: User = {
    id: newId('user', now.getTime()),
    email: input.email,
    name: input.name,
    passwordHash: input.passwordHash,
    passwordChangedAt: input.passwordHash ? now : null,
    createdAt: now,
  };
  await insertUser(trx, user);
  return user;
}

export async function addMemberIn(
  deps: PeopleDeps,
  trx: Knex.Transaction,
  user: User,
  orgId: string,
  role: Role,
  actor: Actor,
): Promise<void> {
  await insertMembership(trx, { userId: user.id, orgId, role, createdAt: new Date(deps.clock.now()) });
  await deps.audit.write(trx, {
    orgId,
    action: 'member.added',
    actor,
    target: { type: 'user', id: user.id },
    detail: { role, email: user.email },
  });
}

/** DESIGN.md: every session of the person ends when the password changes. */
export async function resetPassword(deps: PeopleDeps & PeopleChangeDeps, email: string, password: string, actor: Actor): Promise<User> {
  const passwordHash = await newPasswordHash(password);
  const user = await deps.db.transaction(async (trx) => {
    const user = await findUserByEmail(trx, email);
    if (!user) throw new AppError('not_found', 'no account with this email');
    await setPasswordHash(trx, user.id, passwordHash, new Date(deps.clock.now()));
    await deleteSessionsOfUser(trx, user.id);
    await deps.audit.write(trx, { orgId: null, action: 'user.password_changed', actor, target: { type: 'user', id: user.id } });
    return user;
  });
  await announcePeopleChange(deps, user.id);
  return user;
}

/**
 * A person and their membership, in one transaction: of an existing organisation, or of a new one
 * they found (the first owner of a fresh install, `user create --org-name`).
 */
export async function createMember(
  deps: PeopleDeps,
  input: { email: string; name: string; password: string | null; role: Role; org: { id: string } | { newName: string } },
  actor: Actor,
): Promise<{ user: User; org: Organisation }> {
  const passwordHash = input.password === null ? null : await newPasswordHash(input.password);
  return deps.db.transaction(async (trx) => {
    const target = input.org;
    const org = 'id' in target ? await findOrgById(trx, target.id) : await createOrgIn(deps, trx, target.newName, actor);
    if (!org) throw new AppError('not_found', 'organisation not found');
    const user = await createUserIn(deps, trx, { email: input.email, name: input.name, passwordHash });
    await addMemberIn(deps, trx, user, org.id, input.role, actor);
    return { user, org };
  });
}
