import { z } from 'zod';
import { ROLE_PERMISSIONS } from '../../domain/people/roles.js';
import { signIn, signOut } from '../../domain/people/sessions.js';
import { findOrgName } from '../../storage/people.js';
import { deleteSession } from '../../storage/sessions.js';
import { hashSecret } from '../../crypto/secrets.js';
import { MAX_PASSWORD_LENGTH } from '../../crypto/passwords.js';
import { ID_PATTERN } from '../../ids.js';
import { requestContext } from '../locals.js';
import { bodyKind } from '../middleware/client-auth.js';
import { setNoStore } from '../middleware/no-store.js';
import { assertSameOrigin, clearSessionCookie, readSessionCookie, sessionCookieName, sessionCookieOptions } from '../middleware/session-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';

const signInBody = z.strictObject({
  email: z.string().min(3).max(254),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  org_id: z.string().regex(ID_PATTERN.org, 'must be an organisation ID (org_...)').optional().describe('which organisation to sign in to; default: the oldest membership'),
});

const userView = z.object({ id: z.string(), email: z.string(), name: z.string() });
const orgView = z.object({ id: z.string(), name: z.string() });
const role = z.enum(['owner', 'admin', 'developer', 'viewer']);

const meSchema = z.union([
  z.object({ type: z.literal('user'), user: userView, org: orgView, role, permissions: z.array(z.string()) }),
  z.object({ type: z.literal('key'), key_id: z.string(), org_id: z.string(), scopes: z.array(z.string()), aud: z.union([z.string(), z.array(z.string())]), exp: z.number() }),
]);

export const sessionRoutes: Route[] = [
  {
    method: 'post',
    path: '/v1/session',
    operationId: 'signIn',
    summary: 'Sign in with email and password: a session cookie and the CSRF token for changes',
    tags: ['people'],
    auth: { kind: 'public' },
    request: { json: signInBody, example: { email: 'ada@example.com', password: 'correct horse battery' } },
    responses: { 200: { description: 'signed in; Set-Cookie carries the session', schema: z.object({ user: userView, org: orgView, role, csrf_token: z.string() }) } },
    errors: ['invalid_request', 'invalid_credentials', 'forbidden', 'csrf_failed', 'rate_limited', 'unavailable'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        setNoStore(res);
        // Login CSRF: a sign-in posted from another site would bind the browser to the attacker's account.
        assertSameOrigin(req, deps.config);
        bodyKind(req, ['json']);
        const b = parse(signInBody, req.body);
        const context = requestContext(req, res);
        const result = await signIn(deps, { email: b.email, password: b.password, orgId: b.org_id }, context);
        // The old session (if any) ends: one browser, one session, and never a fixed ID.
        const previous = readSessionCookie(req, deps.config);
        if (previous !== undefined) await deleteSession(deps.db, hashSecret(deps.config.secretPepper, previous));
        res.cookie(sessionCookieName(deps.config), result.sessionId, sessionCookieOptions(deps.config));
        res.json({
          user: { id: result.user.id, email: result.user.email, name: result.user.name },
          org: result.org,
          role: result.role,
          csrf_token: result.csrfToken,
        });
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
    path: '/v1/me',
    operationId: 'getMe',
    summary: 'Who is calling: a person (user, org, role, permissions) or a key (key ID, org, scopes, aud, exp)',
    tags: ['people'],
    auth: { kind: 'bearer', scopes: [], permission: 'org:read' },
    responses: { 200: { description: 'the caller', schema: meSchema } },
    handler:
      ({ deps }) =>
      async (_req, res) => {
      const { person, claims } = res.locals;
      if (person) {
        res.json({
          type: 'user',
          user: { id: person.user.id, email: person.user.email, name: person.user.name },
          org: (await findOrgName(deps.db, person.orgId)) ?? { id: person.orgId, name: '' },
          role: person.role,
          permissions: ROLE_PERMISSIONS[person.role],
        });
        return;
      }
      if (!claims) throw new TypeError('getMe without management auth');
      res.json({ type: 'key', key_id: claims.sub, org_id: claims.orgId, scopes: claims.scopes, aud: claims.aud, exp: claims.exp });
    },
  },
];
