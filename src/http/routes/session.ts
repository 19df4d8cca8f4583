import { z } from 'zod';
import type { Request, Response } from 'express';
import type { Deps } from '../../deps.js';
import { completeSetup } from '../../domain/people/setup.js';
import { endAllSessions, listSessions, signIn, signOut, type SignInResult } from '../../domain/people/sessions.js';
import { safeText } from '../../schemas.js';
import { MAX_PASSWORD_LENGTH } from '../../crypto/passwords.js';
import { ID_PATTERN } from '../../ids.js';
import { requestContext } from '../locals.js';
import { bodyKind } from '../middleware/client-auth.js';
import { setNoStore } from '../middleware/no-store.js';
import {
  assertSameOrigin,
  clearSessionCookie,
  endPreviousSessionCookie,
  sessionCookieName,
  sessionCookieOptions,
} from '../middleware/session-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';

const signInBody = z
  .strictObject({
    email: z.string().min(3).max(254),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    org_id: z
      .string()
      .regex(ID_PATTERN.org, 'must be an organisation ID (org_...)')
      .optional()
      .describe('which organisation to sign in to; default: the oldest membership'),
  })
  .meta({ id: 'SignInRequest' });

export const userView = z.object({ id: z.string(), email: z.string(), name: z.string() });
export const orgView = z.object({ id: z.string(), name: z.string() });
export const role = z.enum(['owner', 'admin', 'developer', 'viewer']);

const signedInSchema = z.object({ user: userView, org: orgView, role, csrf_token: z.string() }).meta({ id: 'SignedIn' });

/** Ends the browser's previous session, sets the new cookie and answers who signed in. */
export async function answerSignIn(deps: Deps, req: Request, res: Response, result: SignInResult): Promise<void> {
  // One browser, one session, and never a fixed ID.
  await endPreviousSessionCookie(deps, req);
  res.cookie(sessionCookieName(deps.config), result.sessionId, sessionCookieOptions(deps.config));
  res.json({
    user: { id: result.user.id, email: result.user.email, name: result.user.name },
    org: result.org,
    role: result.role,
    csrf_token: result.csrfToken,
  });
}

/** Guards every unauthenticated call that opens a session: no caching, no cross-site posting (login CSRF), JSON only. */
export function openingGuard(deps: Deps, req: Request, res: Response): void {
  setNoStore(res);
  assertSameOrigin(req, deps.config);
  bodyKind(req, ['json']);
}

const setupBody = z
  .strictObject({
    token: z.string().min(1).max(100),
    email: z.string().min(3).max(254),
    name: safeText(100, { min: 1, trim: true }),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    org_name: safeText(100, { min: 1, trim: true }),
  })
  .meta({ id: 'SetupRequest' });

export const sessionRoutes: Route[] = [
  {
    method: 'post',
    path: '/v1/session',
    operationId: 'signIn',
    summary: 'Sign in with email and password: a session cookie and the CSRF token for changes',
    tags: ['people'],
    auth: { kind: 'public' },
    request: { json: signInBody, example: { email: 'ada@example.com', password: 'correct horse battery' } },
    responses: { 200: { description: 'signed in; Set-Cookie carries the session', schema: signedInSchema } },
    errors: ['invalid_request', 'invalid_credentials', 'forbidden', 'csrf_failed', 'rate_limited', 'unavailable'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        openingGuard(deps, req, res);
        const b = parse(signInBody, req.body);
        await answerSignIn(
          deps,
          req,
          res,
          await signIn(deps, { email: b.email, password: b.password, orgId: b.org_id }, requestContext(req, res)),
        );
      },
  },
  {
    method: 'get',
    path: '/v1/session/methods',
    operationId: 'getSignInMethods',
    summary: 'How people may sign in here: password always, single sign-on when OIDC_ISSUER is configured',
    tags: ['people'],
    auth: { kind: 'public' },
    responses: {
      200: {
        description: 'the sign-in methods',
        schema: z.object({ password: z.literal(true), sso: z.boolean() }),
        example: { password: true, sso: false },
      },
    },
    handler:
      ({ deps }) =>
      (_req, res) => {
        res.json({ password: true, sso: deps.config.oidc !== undefined });
      },
  },
  {
    method: 'post',
    path: '/v1/setup',
    operationId: 'completeSetup',
    summary:
      'First owner: with the one-time token `serve` logged on a store with no user, makes the owner and their organisation and signs in',
    tags: ['people'],
    auth: { kind: 'public' },
    request: {
      json: setupBody,
      example: {
        token: 'from-the-setup-url',
        email: 'owner@example.com',
        name: 'Olga',
        password: 'correct horse battery',
        org_name: 'Acme',
      },
    },
    responses: { 200: { description: 'signed in as the first owner', schema: signedInSchema } },
    errors: ['invalid_request', 'forbidden', 'conflict', 'csrf_failed', 'unavailable'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        openingGuard(deps, req, res);
        const b = parse(setupBody, req.body);
        const input = { token: b.token, email: b.email, name: b.name, password: b.password, orgName: b.org_name };
        await answerSignIn(deps, req, res, await completeSetup(deps, input, requestContext(req, res)));
      },
  },
  {
    method: 'delete',
    path: '/v1/session',
    operationId: 'signOut',
    summary: 'Sign out: the session ends on the server',
    tags: ['people'],
    auth: { kind: 'session' },
    responses: { 204: { description: 'signed out' } },
    handler:
      ({ deps }) =>
      async (req, res) => {
        const person = res.locals.person;
        if (!person) throw new TypeError('signOut without a session');
        await signOut(deps, person, requestContext(req, res));
        clearSessionCookie(res, deps.config);
        res.status(204).end();
      },
  },
  {
    method: 'get',
    path: '/v1/sessions',
    operationId: 'listSessions',
    summary: "The signed-in person's live sessions, in every organisation (never their IDs)",
    tags: ['people'],
    auth: { kind: 'session' },
    responses: {
      200: {
        description: 'newest first',
        schema: z
          .object({
            data: z.array(
              z.object({
                org_id: z.string(),
                created_at: z.string(),
                last_seen_at: z.string(),
                expires_at: z.string(),
                ip: z.string().nullable(),
                user_agent: z.string().nullable(),
                current: z.boolean(),
              }),
            ),
          })
          .meta({ id: 'SessionList' }),
      },
    },
    handler:
      ({ deps }) =>
      async (_req, res) => {
        const person = res.locals.person;
        if (!person) throw new TypeError('listSessions without a session');
        const sessions = await listSessions(deps, person);
        res.json({
          data: sessions.map((s) => ({
            org_id: s.orgId,
            created_at: s.createdAt.toISOString(),
            last_seen_at: s.lastSeenAt.toISOString(),
            expires_at: s.expiresAt.toISOString(),
            ip: s.ip,
            user_agent: s.userAgent,
            current: s.idHash.equals(person.session.idHash),
          })),
        });
      },
  },
  {
    method: 'delete',
    path: '/v1/sessions',
    operationId: 'signOutEverywhere',
    summary: 'Sign out everywhere: every session of the signed-in person ends, this one included',
    tags: ['people'],
    auth: { kind: 'session' },
    responses: { 204: { description: 'signed out everywhere' } },
    handler:
      ({ deps }) =>
      async (req, res) => {
        const person = res.locals.person;
        if (!person) throw new TypeError('signOutEverywhere without a session');
        await endAllSessions(deps, person, requestContext(req, res));
        clearSessionCookie(res, deps.config);
        res.status(204).end();
      },
  },
];
