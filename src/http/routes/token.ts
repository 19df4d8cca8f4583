import type { Express, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { SECRET_MAX_LENGTH } from '../../crypto/secrets.js';
import { exchangeKey, type ExchangeDeps, type ExchangeRequest } from '../../domain/token-exchange.js';
import { ID_PATTERN } from '../../ids.js';
import { assertNoQueryCredentials, bodyKind, readClientCredentials } from '../middleware/client-auth.js';
import { setNoStore } from '../middleware/no-store.js';
import { requestContext } from '../locals.js';
import type { RouteDoc } from '../openapi.js';
import { parse } from '../parse.js';

const credentialFields = {
  org_id: z
    .string()
    .regex(ID_PATTERN.org, 'must be an org ID (org_ followed by a ULID)')
    .optional()
    .describe('the key\'s org; required with key_id and secret, optional with client_id/client_secret or HTTP Basic'),
  scope: z.string().max(2_000).optional().describe('space-separated subset of the key\'s scopes'),
  audience: z.string().min(1).max(256).optional().describe('one of the key\'s audiences'),
  resource: z.string().min(1).max(256).optional().describe('RFC 8707 synonym of audience'),
};
const keyId = z.string().min(1).max(64);
const secret = z.string().min(1).max(SECRET_MAX_LENGTH);

export const jsonTokenRequest = z
  .strictObject({
    grant_type: z.string().max(100).optional(),
    key_id: keyId.optional(),
    secret: secret.optional(),
    client_id: keyId.optional(),
    client_secret: secret.optional(),
    ...credentialFields,
  })
  .meta({ description: 'JSON exchange: key_id + secret (or client_id + client_secret, or HTTP Basic)' });

// RFC 6749 §3.2: unknown parameters are ignored, so the form schema is not strict; but key_id and
// secret, the JSON form's names, are refused (client-auth.ts), never silently dropped.
export const formTokenRequest = z
  .object({
    grant_type: z.string().max(100),
    client_id: keyId.optional(),
    client_secret: secret.optional(),
    ...credentialFields,
  })
  .meta({ description: 'OAuth 2.0 client credentials (RFC 6749 §4.4)' });

export const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});

function readExchangeRequest(req: Request, context: ExchangeRequest['context']): ExchangeRequest {
  const json = bodyKind(req, ['json', 'form']) === 'json' ? parse(jsonTokenRequest, req.body) : undefined;
  const body = json ?? parse(formTokenRequest, req.body);
  // DESIGN.md's JSON form names the org with the key. The OAuth forms (client_id/client_secret,
  // HTTP Basic) have no place for it, and there the key ID alone identifies the org.
  if (json && (json.key_id !== undefined || json.secret !== undefined) && json.org_id === undefined) {
    throw new AppError('invalid_request', '"org_id" is required with key_id and secret');
  }
  if (body.grant_type === undefined && !json) throw new AppError('invalid_request', '"grant_type" is required');
  if (body.grant_type !== undefined && body.grant_type !== 'client_credentials') {
    throw new AppError('unsupported_grant_type', `grant_type "${body.grant_type.replace(/[^\x20-\x7e]/g, '?')}" is not supported; use client_credentials`);
  }
  if (body.audience !== undefined && body.resource !== undefined && body.audience !== body.resource) {
    throw new AppError('invalid_request', 'send audience or resource, not both');
  }
  const creds = readClientCredentials(req);
  return {
    orgId: body.org_id,
    keyId: creds.keyId,
    secret: creds.secret,
    scope: body.scope,
    audience: body.audience ?? body.resource,
    context,
  };
}

/**
 * The hot path, mounted on the app itself (no nested router) with its steps in one handler:
 * every express layer a request passes costs a few microseconds.
 */
export function mountTokenRoutes(app: Express, deps: ExchangeDeps, limits: RequestHandler[] = []): void {
  const paths = ['/v1/token', '/oauth/token'];
  const guard = (req: Request, res: Response) => {
    setNoStore(res);
    assertNoQueryCredentials(req);
  };
  const exchange = async (req: Request, res: Response) => {
    // Only once the key has authenticated may its own limit refuse, or show (issue 16, point 13).
    const result = await exchangeKey(deps, readExchangeRequest(req, requestContext(req, res)), res.locals.checkKeyRateLimit);
    res.json({ access_token: result.accessToken, token_type: 'Bearer', expires_in: result.expiresIn, scope: result.scope });
  };
  if (limits.length === 0) {
    app.post(paths, async (req, res) => {
      guard(req, res);
      await exchange(req, res);
    });
    return;
  }
  // With rate limits on, refuse URL credentials (and mark no-store) before counting the request.
  const guardLayer: RequestHandler = (req, res, next) => {
    guard(req, res);
    next();
  };
  app.post(paths, guardLayer, ...limits, exchange);
}

export const tokenDocs: RouteDoc[] = ['/v1/token', '/oauth/token'].map((path) => ({
  method: 'post',
  path,
  summary: 'Exchange an API key for a short-lived access token (RFC 9068 JWT)',
  tags: ['token'],
  security: ['basic'],
  body: { json: jsonTokenRequest, form: formTokenRequest },
  responses: { 200: { description: 'token issued (Cache-Control: no-store)', schema: tokenResponse } },
  errors: ['invalid_request', 'invalid_client', 'invalid_scope', 'invalid_target', 'unsupported_grant_type', 'rate_limited', 'unavailable'],
}));
