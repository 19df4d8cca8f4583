import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { introspectToken, revokeToken, type RevokingCaller } from '../../domain/token-admin.js';
import { authenticateKey } from '../../domain/token-exchange.js';
import { requestContext } from '../locals.js';
import { verifyManagementBearer } from '../middleware/bearer-auth.js';
import { bodyKind, readClientCredentials } from '../middleware/client-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';

// Past the verifiers' own bound (8,192), so an oversized token is answered as inactive rather than refused.
const tokenParam = z.string().min(1).max(12_288);
// RFC 7662 §2.1 / RFC 7009 §2.1: form-encoded `token` (+ hint); client credentials alongside.
// key_id/secret are the JSON form's names: a form body holding them is refused (client-auth.ts).
const tokenOperationForm = z
  .object({
    token: tokenParam,
    token_type_hint: z.string().max(100).optional(),
    client_id: z.string().max(64).optional(),
    client_secret: z.string().max(128).optional(),
  })
  .meta({ id: 'TokenOperationForm' });
const tokenOperationJson = tokenOperationForm
  .extend({
    key_id: z.string().max(64).optional(),
    secret: z.string().max(128).optional(),
  })
  .meta({ id: 'TokenOperationRequest' });
type TokenOperation = z.infer<typeof tokenOperationForm>;

function readTokenOperation(req: Request): TokenOperation {
  return parse(bodyKind(req, ['form', 'json']) === 'json' ? tokenOperationJson : tokenOperationForm, req.body);
}

type Authenticated = { orgId: string; keyId: string; scopes: string[] };

/** Key credentials (Basic or body) or a Bearer management token from this service. */
async function authenticateCaller(deps: Deps, req: Request, res: Response): Promise<Authenticated> {
  const authorization = req.get('authorization');
  if (authorization && /^bearer /i.test(authorization)) {
    // The management audience, as on the management API: not any token this service signed.
    const claims = await verifyManagementBearer(deps, authorization);
    return { orgId: claims.orgId, keyId: claims.sub, scopes: claims.scopes };
  }
  const creds = readClientCredentials(req);
  const key = await authenticateKey(deps, { keyId: creds.keyId, secret: creds.secret, context: requestContext(req, res) });
  res.locals.checkKeyRateLimit?.(key.id);
  return { orgId: key.orgId, keyId: key.id, scopes: key.scopes };
}

const introspection = z
  .object({
    active: z.boolean(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    sub: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    iss: z.string().optional(),
    exp: z.number().optional(),
    iat: z.number().optional(),
    jti: z.string().optional(),
    token_type: z.string().optional(),
    org_id: z.string().optional(),
    env: z.string().optional(),
  })
  .meta({ id: 'Introspection', description: 'RFC 7662 §2.2' });

const CALLER_AUTH = { kind: 'client', orBearer: true } as const;
const tokenOperation = { form: tokenOperationForm, json: tokenOperationJson };

export const introspectRoute: Route = {
  method: 'post',
  path: '/oauth/introspect',
  operationId: 'introspectToken',
  summary:
    "RFC 7662 introspection; authenticate with key credentials (Basic or body) or a Bearer token for MANAGEMENT_AUDIENCE; other orgs' tokens are inactive",
  tags: ['token'],
  auth: CALLER_AUTH,
  request: tokenOperation,
  responses: { 200: { description: '{"active": false} or the active token\'s claims', schema: introspection } },
  errors: ['invalid_request'],
  handler:
    ({ deps }) =>
    async (req, res) => {
      const body = readTokenOperation(req);
      const caller = await authenticateCaller(deps, req, res);
      res.json(await introspectToken(deps, caller.orgId, body.token));
    },
};

export const revokeTokenRoute: Route = {
  method: 'post',
  path: '/oauth/revoke',
  operationId: 'revokeToken',
  summary: 'RFC 7009: revoke one token (by its jti); by the key it was issued to, or a keys:write token of its org for MANAGEMENT_AUDIENCE',
  tags: ['token'],
  auth: CALLER_AUTH,
  request: tokenOperation,
  responses: { 200: { description: 'revoked, or nothing to do: the token was invalid, or of another org' } },
  errors: ['invalid_request', 'insufficient_scope'],
  handler:
    ({ deps }) =>
    async (req, res) => {
      const body = readTokenOperation(req);
      const caller = await authenticateCaller(deps, req, res);
      const viaBearer = /^bearer /i.test(req.get('authorization') ?? '');
      const revoking: RevokingCaller = {
        orgId: caller.orgId,
        keyId: caller.keyId,
        admin: viaBearer && caller.scopes.includes('keys:write'),
        context: requestContext(req, res),
      };
      if (viaBearer && !revoking.admin) {
        throw new AppError('insufficient_scope', 'revoking with a bearer token requires scope "keys:write"', undefined, {
          requiredScope: 'keys:write',
        });
      }
      await revokeToken(deps, revoking, body.token);
      // RFC 7009 §2.2: 200 with an empty body, whether or not the token was valid.
      res.status(200).end();
    },
};

export const oauthRoutes: Route[] = [introspectRoute, revokeTokenRoute];
