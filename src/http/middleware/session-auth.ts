import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import { roleHas, type Permission } from '../../domain/people/roles.js';
import { authenticateSession, endPreviousSession, isCsrfToken, type SessionDeps } from '../../domain/people/sessions.js';
import { hasScopes } from '../../domain/scopes.js';
import type { ManagementScope } from '../../domain/scopes.js';
import { verifyManagementBearer } from './bearer-auth.js';
import type { VerificationDeps } from '../../domain/token-verification.js';

export const isHttps = (config: Config) => config.issuer.startsWith('https:');

/** DESIGN.md: `__Host-` (Secure, Path=/, no Domain: this host only) under https. */
const sessionCookieName = (config: Config) => (isHttps(config) ? '__Host-scope-auth-session' : 'scope-auth-session');

function sessionCookieOptions(config: Config): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: isHttps(config), maxAge: config.sessionMaxHours * 3_600_000 };
}

/** One cookie's value, read without a cookie library: ours need no decoding (base64url). */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export const readSessionCookie = (req: Request, config: Config) => readCookie(req, sessionCookieName(config));

export function clearSessionCookie(res: Response, config: Config): void {
  const { maxAge: _maxAge, ...options } = sessionCookieOptions(config);
  res.clearCookie(sessionCookieName(config), options);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The second layer behind the CSRF token: a browser names where a request comes from, and a
 * state-changing request from another site is refused whatever it carries.
 */
export function assertSameOrigin(req: Request, config: Config): void {
  const origin = req.get('origin');
  if (origin !== undefined && origin !== new URL(config.issuer).origin) {
    throw new AppError('csrf_failed', 'cross-origin request refused', { reason: 'origin', origin: origin.slice(0, 200) });
  }
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new AppError('csrf_failed', 'cross-site request refused', { reason: 'sec_fetch_site', site: site.slice(0, 40) });
  }
}

type AuthDeps = SessionDeps & VerificationDeps;

/**
 * Who is calling a management route: a person (session cookie) or a key (Bearer token), never both.
 * A session's state-changing request must come from our origin and carry its CSRF token.
 */
export function managementAuthentication(deps: AuthDeps, options: { bearer: boolean }): RequestHandler {
  return async (req, res, next) => {
    const cookie = readSessionCookie(req, deps.config);
    const authorization = req.get('authorization');
    if (cookie !== undefined && authorization !== undefined) {
      throw new AppError('invalid_request', 'send a session cookie or an Authorization header, not both');
    }
    if (cookie === undefined && options.bearer) {
      res.locals.claims = await verifyManagementBearer(deps, authorization);
      next();
      return;
    }
    const unsafe = !SAFE_METHODS.has(req.method);
    if (unsafe) assertSameOrigin(req, deps.config);
    const person = cookie === undefined ? undefined : await authenticateSession(deps, cookie);
    if (!person)
      throw new AppError('invalid_credentials', cookie === undefined ? 'sign in first' : 'the session has ended; sign in again', {
        reason: cookie === undefined ? 'no_session' : 'session_ended',
      });
    if (unsafe && !isCsrfToken(deps.config, person.session, req.get('x-csrf-token'))) {
      throw new AppError('csrf_failed', 'X-CSRF-Token is missing or does not match this session', { reason: 'csrf_token' });
    }
    res.locals.person = person;
    next();
  };
}

/** 403 unless the caller may: a token by its scopes, a person by their role's permissions (roles.ts). */
export function managementAuthorization(scopes: readonly ManagementScope[], permission: Permission | undefined): RequestHandler {
  return (_req, res, next) => {
    const { person, claims } = res.locals;
    if (person) {
      if (permission !== undefined && !roleHas(person.role, permission)) {
        throw new AppError('forbidden', `the ${person.role} role may not do this`, { permission });
      }
    } else if (claims) {
      if (!hasScopes(claims.scopes, scopes)) {
        throw new AppError('insufficient_scope', `this call requires scope "${scopes.join(' ')}"`, undefined, {
          requiredScope: scopes.join(' '),
        });
      }
    } else {
      throw new TypeError('managementAuthorization used without managementAuthentication');
    }
    next();
  };
}

/** A new sign-in's cookie; it ends the session the browser still carried: one browser, one session, never a fixed ID. */
export async function setSessionCookie(deps: SessionDeps, req: Request, res: Response, sessionId: string): Promise<void> {
  const previous = readSessionCookie(req, deps.config);
  if (previous !== undefined) await endPreviousSession(deps, previous);
  res.cookie(sessionCookieName(deps.config), sessionId, sessionCookieOptions(deps.config));
}
