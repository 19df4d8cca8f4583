import { z } from 'zod';
import { MAX_PASSWORD_LENGTH } from '../../crypto/passwords.js';
import { changeOwnPassword, orgsOf } from '../../domain/people/account.js';
import { ROLE_PERMISSIONS } from '../../domain/people/roles.js';
import { csrfTokenOf, orgOf } from '../../domain/people/sessions.js';
import { requestContext } from '../locals.js';
import { bodyKind } from '../middleware/client-auth.js';
import { readSessionCookie, setSessionCookie } from '../middleware/session-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';
import { orgView, role, userView } from './session.js';

const meSchema = z.union([
  z.object({
    type: z.literal('user'),
    user: userView,
    org: orgView,
    role,
    permissions: z.array(z.string()),
    csrf_token: z
      .string()
      .nullable()
      .describe("this session's CSRF token, for a reloaded page (null for a session opened before the token could be recovered)"),
    orgs: z.array(orgView.extend({ role })).describe("the person's organisations and their role in each"),
  }),
  z.object({
    type: z.literal('key'),
    key_id: z.string(),
    org_id: z.string(),
    scopes: z.array(z.string()),
    aud: z.union([z.string(), z.array(z.string())]),
    exp: z.number(),
  }),
]);

const passwordBody = z.strictObject({
  current_password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  new_password: z.string().min(1).max(MAX_PASSWORD_LENGTH).describe('at least 12 characters, not a common password'),
});

export const accountRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/me',
    operationId: 'getMe',
    summary:
      'Who is calling: a person (user, org, role, permissions, their CSRF token and organisations) or a key (key ID, org, scopes, aud, exp)',
    tags: ['people'],
    auth: { kind: 'bearer', scopes: [], permission: 'org:read' },
    responses: { 200: { description: 'the caller', schema: meSchema.meta({ id: 'Me' }) } },
    handler:
      ({ deps }) =>
      async (req, res) => {
        const { person, claims } = res.locals;
        if (person) {
          // Same-origin only: CORS never lets another site read this with the cookie.
          const cookie = readSessionCookie(req, deps.config);
          res.json({
            type: 'user',
            user: { id: person.user.id, email: person.user.email, name: person.user.name },
            org: await orgOf(deps, person),
            role: person.role,
            permissions: ROLE_PERMISSIONS[person.role],
            csrf_token: (cookie && csrfTokenOf(deps.config, person, cookie)) ?? null,
            orgs: await orgsOf(deps, person),
          });
          return;
        }
        if (!claims) throw new TypeError('getMe without management auth');
        res.json({ type: 'key', key_id: claims.sub, org_id: claims.orgId, scopes: claims.scopes, aud: claims.aud, exp: claims.exp });
      },
  },
  {
    method: 'post',
    path: '/v1/me/password',
    operationId: 'changePassword',
    summary:
      "Change one's own password: every session of the person ends and this one is replaced (a new cookie; read the new csrf_token from GET /v1/me)",
    tags: ['people'],
    auth: { kind: 'session' },
    request: {
      json: passwordBody,
      example: { current_password: 'a long enough test password', new_password: 'a brand new long password' },
    },
    responses: { 204: { description: 'changed; Set-Cookie carries the new session' } },
    errors: ['invalid_request', 'rate_limited', 'unavailable'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const person = res.locals.person;
        if (!person) throw new TypeError('changePassword without a session');
        bodyKind(req, ['json']);
        const b = parse(passwordBody, req.body);
        const result = await changeOwnPassword(
          deps,
          person,
          { currentPassword: b.current_password, newPassword: b.new_password },
          requestContext(req, res),
        );
        await setSessionCookie(deps, req, res, result.sessionId);
        res.status(204).end();
      },
  },
];
