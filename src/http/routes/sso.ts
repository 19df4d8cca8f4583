import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { finishSso, startSso } from '../../domain/people/sso.js';
import { ID_PATTERN } from '../../ids.js';
import { requestContext } from '../locals.js';
import { setNoStore } from '../middleware/no-store.js';
import { isHttps, readCookie, setSessionCookie } from '../middleware/session-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';

const STATE_COOKIE = 'scope-auth-sso-state';
const STATE_COOKIE_PATH = '/v1/sso';
const startQuery = z.strictObject({ org_id: z.string().regex(ID_PATTERN.org, 'must be an organisation ID (org_...)').optional() });
const callbackQuery = z.object({
  code: z.string().max(2048).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
});

type SsoStep = Pick<Route, 'path' | 'operationId' | 'summary' | 'request' | 'responses' | 'errors'> & {
  handle: (deps: Deps, req: Request, res: Response) => Promise<void>;
};

/** Both steps are public GETs a browser is redirected through, never cached, limited per address. */
const ssoStep = ({ handle, ...route }: SsoStep): Route => ({
  ...route,
  method: 'get',
  tags: ['people'],
  auth: { kind: 'public', perIp: true },
  handler:
    ({ deps }) =>
    async (req, res) => {
      setNoStore(res);
      await handle(deps, req, res);
    },
});

export const ssoRoutes: Route[] = [
  ssoStep({
    path: '/v1/sso/start',
    operationId: 'startSso',
    summary: 'Single sign-on: redirects to the OpenID provider (authorization code with PKCE, state and nonce)',
    request: { query: startQuery },
    responses: { 302: { description: 'to the provider' } },
    errors: ['invalid_request', 'not_found', 'rate_limited', 'unavailable'],
    handle: async (deps, req, res) => {
      const q = parse(startQuery, req.query);
      const { url, state } = await startSso(deps, q.org_id);
      // Binds the flow to this browser; Lax, so the provider's top-level redirect back carries it.
      res.cookie(STATE_COOKIE, state, {
        httpOnly: true,
        sameSite: 'lax',
        secure: isHttps(deps.config),
        path: STATE_COOKIE_PATH,
        maxAge: 10 * 60_000,
      });
      res.redirect(302, url);
    },
  }),
  ssoStep({
    path: '/v1/sso/callback',
    operationId: 'finishSso',
    summary: "Single sign-on: the provider's redirect back; signs in and redirects to the console with the CSRF token in the fragment",
    request: { query: callbackQuery },
    responses: { 302: { description: 'signed in: to /console/#csrf_token=…, with the session cookie' } },
    errors: ['invalid_request', 'invalid_credentials', 'forbidden', 'not_found', 'rate_limited', 'unavailable'],
    handle: async (deps, req, res) => {
      parse(callbackQuery, req.query);
      const callbackUrl = new URL(req.originalUrl, `${deps.config.issuer}/`);
      const result = await finishSso(deps, { callbackUrl, browserState: readCookie(req, STATE_COOKIE) }, requestContext(req, res));
      res.clearCookie(STATE_COOKIE, { path: STATE_COOKIE_PATH });
      await setSessionCookie(deps, req, res, result.sessionId);
      // A fragment: never sent to a server, so the token stays out of logs and Referer headers.
      res.redirect(302, `${deps.config.issuer}/console/#csrf_token=${result.csrfToken}`);
    },
  }),
];
