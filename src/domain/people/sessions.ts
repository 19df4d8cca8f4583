import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import { verifyPassword } from '../../crypto/passwords.js';
import { hashSecret } from '../../crypto/secrets.js';
import type { Db } from '../../storage/db.js';
import { findMembership, findOrgName, findUserByEmail, listMembershipsOfUser } from '../../storage/people.js';
import {
  deleteSession,
  deleteSessionsOfUser,
  findLiveSessionWithMember,
  insertSession,
  listSessionsOfUser,
  touchSession,
} from '../../storage/sessions.js';
import type { RedisKeys } from '../../storage/redis/client.js';
import type { AuditInput, AuditLog, RequestContext } from '../audit.js';
import type { Role, Session, User } from '../model.js';
import type { InstanceBus, RateCounters } from '../seams.js';
import { announcePeopleChange, type PeopleChangeDeps } from './people-change.js';
import { assertSignInAllowed, recordSignInFailure } from './signin-throttle.js';
import { hashToken, newToken } from './single-use-tokens.js';

export type SessionDeps = PeopleChangeDeps & {
  config: Config;
  db: Db;
  clock: Clock;
  audit: AuditLog;
  rateCounters: RateCounters;
  redisKeys: RedisKeys;
  bus: Pick<InstanceBus, 'isLive' | 'publish'>;
};

/** A signed-in person, as every session-authenticated request sees them. */
export type Person = { user: User; orgId: string; role: Role; session: Session };

export const INVALID_CREDENTIALS = 'email or password is incorrect';
// last_seen_at is written at most this often per session: idle expiry needs no finer grain.
const TOUCH_EVERY_MS = 60_000;

/**
 * A session's CSRF token is derived from its ID, so GET /v1/me can give it back to a reloaded page
 * (the ID is in an HttpOnly cookie; the token, an HMAC under the pepper, does not reveal it).
 */
const csrfTokenFor = (config: Config, sessionId: string) => hashSecret(config.secretPepper, `csrf:${sessionId}`).toString('base64url');

/** The audit record (`session.failed`, with its reason) and the uniform 401 of every failed sign-in; `via` names another door than POST /v1/session. */
export function credentialsFailed(
  deps: Pick<SessionDeps, 'audit'>,
  orgId: string | null,
  reason: string,
  email: string,
  context: RequestContext,
  via?: 'invitation',
): AppError {
  const detail = { reason, email, ...(via ? { via } : {}) };
  deps.audit.enqueue({ orgId, action: 'session.failed', actor: { type: 'anonymous', id: null }, context, detail });
  return new AppError('invalid_credentials', INVALID_CREDENTIALS, { reason });
}

/** What the audit log records of a person's own session: they act on themselves. */
const ownSessionEvent = (
  user: User,
  orgId: string,
  action: string,
  context: RequestContext,
  detail?: Record<string, unknown>,
): AuditInput => ({
  orgId,
  action,
  actor: { type: 'user', id: user.id, email: user.email },
  target: { type: 'user', id: user.id },
  context,
  ...(detail && { detail }),
});

export type SignInResult = { user: User; org: { id: string; name: string }; role: Role; sessionId: string; csrfToken: string };

/**
 * Checks an email and password and opens a new session (always a new ID: no fixation). Unknown
 * email, no password and a wrong password cost one Argon2id verification each and look the same.
 */
export async function signIn(
  deps: SessionDeps,
  input: { email: string; password: string; orgId?: string },
  context: RequestContext,
): Promise<SignInResult> {
  const ip = context.ip ?? 'unknown';
  await assertSignInAllowed(deps, input.email, ip);
  const user = await findUserByEmail(deps.db, input.email);
  const ok = await verifyPassword(user?.passwordHash, input.password);
  if (!user || !ok) {
    await recordSignInFailure(deps, input.email, ip);
    const reason = !user ? 'unknown_email' : user.passwordHash === null ? 'no_password' : 'wrong_password';
    throw credentialsFailed(deps, null, reason, input.email, context);
  }
  const joined = await membershipToOpen(deps.db, user.id, input.orgId);
  if (!joined) {
    throw new AppError(
      'forbidden',
      input.orgId === undefined ? 'this account belongs to no organisation' : 'this account is not a member of that organisation',
    );
  }
  return openSession(deps, user, joined.org, joined.role, context);
}

/** The membership a sign-in opens: in `orgId`, or else the oldest; undefined when there is none. */
export async function membershipToOpen(
  db: Db,
  userId: string,
  orgId: string | undefined,
): Promise<{ org: { id: string; name: string }; role: Role } | undefined> {
  const membership = orgId === undefined ? (await listMembershipsOfUser(db, userId))[0] : await findMembership(db, userId, orgId);
  const org = membership && (await findOrgName(db, membership.orgId));
  return membership && org ? { org, role: membership.role } : undefined;
}

/** A fresh session for a person already authenticated (password, invitation, single sign-on). */
export async function openSession(
  deps: SessionDeps,
  user: User,
  org: { id: string; name: string },
  role: Role,
  context: RequestContext,
): Promise<SignInResult> {
  const now = deps.clock.now();
  const sessionId = newToken();
  const csrfToken = csrfTokenFor(deps.config, sessionId);
  await insertSession(deps.db, {
    idHash: hashToken(deps.config, sessionId),
    userId: user.id,
    orgId: org.id,
    csrfHash: hashToken(deps.config, csrfToken),
    createdAt: new Date(now),
    lastSeenAt: new Date(now),
    expiresAt: new Date(now + deps.config.sessionMaxHours * 3_600_000),
    ip: context.ip,
    userAgent: context.userAgent,
  });
  await deps.audit.write(deps.db, ownSessionEvent(user, org.id, 'session.created', context));
  return { user, org, role, sessionId, csrfToken };
}

/** Within both limits at `nowMs`, by this copy of the session. */
const isLive = (config: Config, s: Session, nowMs: number) =>
  s.expiresAt.getTime() > nowMs && s.lastSeenAt.getTime() > nowMs - config.sessionIdleMinutes * 60_000;

/**
 * The person behind a session cookie, or undefined when it names no live session (or no membership
 * any more). From the session cache while pub/sub keeps it honest, from Postgres otherwise.
 */
export async function authenticateSession(
  deps: Pick<SessionDeps, 'config' | 'db' | 'clock' | 'sessionCache' | 'bus'>,
  sessionId: string,
): Promise<Person | undefined> {
  if (sessionId.length === 0 || sessionId.length > 100) return undefined;
  const idHash = hashToken(deps.config, sessionId);
  const cacheKey = idHash.toString('hex');
  const now = deps.clock.now();
  const trusted = deps.bus.isLive();
  const epoch = deps.sessionCache.epoch();
  let found = trusted ? deps.sessionCache.get(cacheKey) : undefined;
  // This copy may be older than another instance's touch: an apparently idle session is read again.
  if (found && !isLive(deps.config, found.session, now)) found = undefined;
  if (!found) {
    found = await findLiveSessionWithMember(deps.db, idHash, new Date(now), new Date(now - deps.config.sessionIdleMinutes * 60_000));
    if (!found) return undefined;
  }
  if (now - found.session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    await touchSession(deps.db, idHash, new Date(now));
    found = { ...found, session: { ...found.session, lastSeenAt: new Date(now) } };
  }
  if (trusted) deps.sessionCache.set(cacheKey, found, epoch);
  return { user: found.user, orgId: found.session.orgId, role: found.role, session: found.session };
}

/** Is `token` this session's CSRF token? Compared as HMACs, in constant time. */
export function isCsrfToken(config: Config, session: Session, token: string | undefined): boolean {
  if (token === undefined || token.length === 0 || token.length > 100) return false;
  return timingSafeEqual(hashToken(config, token), session.csrfHash);
}

/** The CSRF token of the session behind this cookie value, for a reloaded page (undefined: not this session's). */
export function csrfTokenOf(config: Config, person: Person, sessionId: string): string | undefined {
  const token = csrfTokenFor(config, sessionId);
  return isCsrfToken(config, person.session, token) ? token : undefined;
}

export async function signOut(deps: SessionDeps, person: Person, context: RequestContext): Promise<void> {
  await deleteSession(deps.db, person.session.idHash);
  await announcePeopleChange(deps, person.user.id);
  await deps.audit.write(deps.db, ownSessionEvent(person.user, person.orgId, 'session.ended', context));
}

/** Every session of the person, in every organisation ("sign out everywhere"). */
export async function endAllSessions(deps: SessionDeps, person: Person, context: RequestContext): Promise<number> {
  const ended = await deleteSessionsOfUser(deps.db, person.user.id);
  await announcePeopleChange(deps, person.user.id);
  await deps.audit.write(deps.db, ownSessionEvent(person.user, person.orgId, 'session.ended_everywhere', context, { sessions: ended }));
  return ended;
}

/** Ends the session a browser still carried (a new sign-in replaces it). */
export async function endPreviousSession(deps: SessionDeps, sessionId: string): Promise<void> {
  for (const userId of await deleteSession(deps.db, hashToken(deps.config, sessionId))) await announcePeopleChange(deps, userId);
}

/** The person's live sessions, in every organisation, newest first. */
export function listSessions(deps: Pick<SessionDeps, 'db' | 'clock'>, person: Person): Promise<Session[]> {
  return listSessionsOfUser(deps.db, person.user.id, new Date(deps.clock.now()));
}

/** The organisation a session is in, for GET /v1/me. */
export async function orgOf(deps: Pick<SessionDeps, 'db'>, person: Person): Promise<{ id: string; name: string }> {
  return (await findOrgName(deps.db, person.orgId)) ?? { id: person.orgId, name: '' };
}
