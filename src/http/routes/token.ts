import type { Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { SECRET_MAX_LENGTH } from '../../crypto/secrets.js';
import { exchangeKey, type ExchangeRequest } from '../../domain/token-exchange.js';
import { ID_PATTERN } from '../../ids.js';
import { bodyKind, readClientCredentials } from '../middleware/client-auth.js';
import { requestContext } from '../locals.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';

const credentialFields = {
  org_id: z
    .string()
    .regex(ID_PATTERN.org, 'must be an org ID (org_ followed by a ULID)')
    .optional()
    .describe("the key's org; required with key_id and secret, optional with client_id/client_secret or HTTP Basic"),
  scope: z.string().max(2_000).optional().describe("space-separated subset of the key's scopes"),
  audience: z.string().min(1).max(256).optional().describe("one of the key's audiences"),
  resource: z.string().min(1).max(256).optional().describe('RFC 8707 synonym of audience'),
};
const keyId = z.string().min(1).max(64);
const secret = z.string().min(1).max(SECRET_MAX_LENGTH);

const jsonTokenRequest = z
  .strictObject({
    grant_type: z.string().max(100).optional(),
    key_id: keyId.optional(),
    secret: secret.optional(),
    client_id: keyId.optional(),
    client_secret: secret.optional(),
    ...credentialFields,
  })
  .meta({ id: 'TokenRequest', description: 'JSON exchange: key_id + secret (or client_id + client_secret, or HTTP Basic)' });

// RFC 6749 §3.2: unknown parameters are ignored, so the form schema is not strict; but key_id and
// secret, the JSON form's names, are refused (client-auth.ts), never silently dropped.
const formTokenRequest = z
  .object({
    grant_type: z.string().max(100),
    client_id: keyId.optional(),
    client_secret: secret.optional(),
    ...credentialFields,
  })
  .meta({ id: 'ClientCredentialsRequest', description: 'OAuth 2.0 client credentials (RFC 6749 §4.4)' });

const tokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    scope: z.string(),
  })
  .meta({ id: 'TokenResponse' });

/** RFC 8707 §2: several `resource` values ask for one token valid at each; a token here names one audience. */
function refuseSeveralResources(body: unknown): void {
  const resource = typeof body === 'object' && body !== null ? (body as { resource?: unknown }).resource : undefined;
  if (Array.isArray(resource))
    throw new AppError('invalid_target', 'request one resource per token', { reason: 'several_resources', count: resource.length });
}

function readExchangeRequest(req: Request, context: ExchangeRequest['context']): ExchangeRequest {
  const kind = bodyKind(req, ['json', 'form']);
  refuseSeveralResources(req.body);
  const json = kind === 'json' ? parse(jsonTokenRequest, req.body) : undefined;
  const body = json ?? parse(formTokenRequest, req.body);
  // DESIGN.md's JSON form names the org with the key. The OAuth forms (client_id/client_secret,
  // HTTP Basic) have no place for it, and there the key ID alone identifies the org.
  if (json && (json.key_id !== undefined || json.secret !== undefined) && json.org_id === undefined) {
    throw new AppError('invalid_request', '"org_id" is required with key_id and secret');
  }
  if (body.grant_type === undefined && !json) throw new AppError('invalid_request', '"grant_type" is required');
  if (body.grant_type !== undefined && body.grant_type !== 'client_credentials') {
    throw new AppError(
      'unsupported_grant_type',
      `grant_type "${body.grant_type.replace(/[^\x20-\x7e]/g, '?')}" is not supported; use client_credentials`,
    );
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

/** Why an exchange was refused, for the metrics: the audited reason of a client-authentication failure, else the error code. */
function exchangeOutcome(err: unknown): string {
  if (!(err instanceof AppError)) return 'error';
  const reason = err.detail?.reason;
  return err.code === 'invalid_client' && typeof reason === 'string' ? reason : err.code;
}

/** The OAuth name of the token endpoint (RFC 8414 metadata points at it): the same handler, in the same layer. */
export const OAUTH_TOKEN = { path: '/oauth/token', operationId: 'exchangeOAuthToken' } as const;

// The hot path: first in the table, one express layer with its steps (docs/PERFORMANCE.md).
const tokenRoute: Route = {
  method: 'post',
  path: '/v1/token',
  aliases: [OAUTH_TOKEN],
  operationId: 'exchangeToken',
  summary: 'Exchange an API key for a short-lived access token (RFC 9068 JWT)',
  tags: ['token'],
  auth: { kind: 'client' },
  request: {
    json: jsonTokenRequest,
    form: formTokenRequest,
    example: {
      org_id: 'org_01JD0000000000000000000000',
      key_id: 'key_01JD0000000000000000000000',
      secret: 'sk_live_...',
      scope: 'keys:read',
    },
    formExample: { grant_type: 'client_credentials', scope: 'keys:read', resource: 'https://api.example.com' },
  },
  responses: {
    200: {
      description: 'token issued (Cache-Control: no-store)',
      schema: tokenResponse,
      example: {
        access_token: 'eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9...',
        token_type: 'Bearer',
        expires_in: 900,
        scope: 'keys:read',
      },
    },
  },
  errors: ['invalid_request', 'invalid_scope', 'invalid_target', 'unsupported_grant_type', 'unavailable'],
  handler:
    ({ deps }) =>
    async (req, res) => {
      const started = performance.now();
      let result;
      try {
        // Only once the key has authenticated may its own limit refuse, or show (issue 16, point 13).
        result = await exchangeKey(deps, readExchangeRequest(req, requestContext(req, res)), res.locals.checkKeyRateLimit);
      } catch (err) {
        deps.metrics.exchanged(exchangeOutcome(err), (performance.now() - started) / 1000);
        throw err;
      }
      deps.metrics.exchanged('issued', (performance.now() - started) / 1000);
      res.locals.keyId = result.keyId;
      res.json({ access_token: result.accessToken, token_type: 'Bearer', expires_in: result.expiresIn, scope: result.scope });
    },
};

export const tokenRoutes: Route[] = [tokenRoute];
