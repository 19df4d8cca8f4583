import { z } from 'zod';
import type { RequestContext } from '../../domain/audit.js';
import type { Deps } from '../../deps.js';
import { completeSetup } from '../../domain/people/setup.js';
import { endAllSessions, listSessions, signIn, signOut, type SignInResult } from '../../domain/people/sessions.js';
import { safeText } from '../../schemas.js';
import { MAX_PASSWORD_LENGTH } from '../../crypto/passwords.js';
import { ID_PATTERN } from '../../ids.js';
import { personOf } from '../caller.js';
import { requestContext } from '../locals.js';
import { bodyKind } from '../middleware/client-auth.js';
import { setNoStore } from '../middleware/no-store.js';
import { assertSameOrigin, clearSessionCookie, setSessionCookie } from '../middleware/session-auth.js';
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

type Opening<S extends z.ZodType> = Pick<Route, 'path' | 'operationId' | 'summary' | 'errors'> & {
  body: S;
  example: Record<string, unknown>;
  /** Of the 200 answer. */
  description: string;
  open: (deps: Deps, body: z.output<S>, context: RequestContext) => Promise<SignInResult>;
};

/**
 * A public POST that opens a session (password, setup, invitation): no caching, no cross-site
 * posting (login CSRF), JSON only; sets the cookie, ending the browser's previous session, and
 * answers who signed in.
 */
export const openingRoute = <S extends z.ZodType>({ body, example, description, open, ...route }: Opening<S>): Route => ({
  ...route,
  method: 'post',
  tags: ['people'],
  auth: { kind: 'public' },
  request: { json: body, example },
  responses: { 200: { description, schema: signedInSchema } },
  handler:
    ({ deps }) =>
    async (req, res) => {
      setNoStore(res);
      assertSameOrigin(req, deps.config);
      bodyKind(req, ['json']);
      const result = await open(deps, parse(body, req.body), requestContext(req, res));
      await setSessionCookie(deps, req, res, result.sessionId);
      res.json({
        user: { id: result.user.id, email: result.user.email, name: result.user.name },
        org: result.org,
        role: result.role,
        csrf_token: result.csrfToken,
      });
    },
});

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
  openingRoute({
    path: '/v1/session',
    operationId: 'signIn',
    summary: 'Sign in with email and password: a session cookie and the CSRF token for changes',
    body: signInBody,
    example: { email: 'ada@example.com', password: 'correct horse battery' },
    description: 'signed in; Set-Cookie carries the session',
    errors: ['invalid_request', 'invalid_credentials', 'forbidden', 'csrf_failed', 'rate_limited', 'unavailable'],
    open: (deps, b, context) => signIn(deps, { email: b.email, password: b.password, orgId: b.org_id }, context),
  }),
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
  openingRoute({
    path: '/v1/setup',
    operationId: 'completeSetup',
    summary:
      'First owner: with the one-time token `serve` logged on a store with no user, makes the owner and their organisation and signs in',
    body: setupBody,
    example: {
      token: 'from-the-setup-url',
      email: 'owner@example.com',
      name: 'Olga',
      password: 'correct horse battery',
      org_name: 'Acme',
    },
    description: 'signed in as the first owner',
    errors: ['invalid_request', 'forbidden', 'conflict', 'csrf_failed', 'unavailable'],
    open: (deps, b, context) =>
      completeSetup(deps, { token: b.token, email: b.email, name: b.name, password: b.password, orgName: b.org_name }, context),
  }),
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
        const person = personOf(res);
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
        const person = personOf(res);
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
        const person = personOf(res);
        await endAllSessions(deps, person, requestContext(req, res));
        clearSessionCookie(res, deps.config);
        res.status(204).end();
      },
  },
];
