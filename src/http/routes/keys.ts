import type { Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import {
  MAX_GRACE_PERIOD_SECONDS,
  createKeyAs,
  getKey,
  listKeysPage,
  revokeKeyAs,
  rotateKeyAs,
  updateKeyAs,
} from '../../domain/key-management.js';
import { ID_PATTERN, isId } from '../../ids.js';
import {
  audienceList,
  cidrList,
  environment,
  expiresInSeconds,
  keyDescription,
  keyName,
  revokeReason,
  safeText,
  scopeList,
} from '../../schemas.js';
import { callerOf } from '../caller.js';
import { bodyKind } from '../middleware/client-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';
import { decodeCursor, encodeCursor, keyView } from '../serializers.js';
import { keyOwnerEmails } from '../../domain/people/members.js';

const isoDate = z.iso.datetime({ offset: true });

const createKeyBody = z
  .strictObject({
    name: keyName,
    description: keyDescription.optional(),
    environment: environment.default('live'),
    scopes: scopeList.default([]),
    audiences: audienceList.default([]).describe('empty = the default audience'),
    allowed_cidrs: cidrList.default([]).describe('IPv4/IPv6 CIDRs the key may be used from; empty = anywhere'),
    expires_at: isoDate.optional(),
    expires_in: expiresInSeconds.optional().describe('seconds from now; alternative to expires_at'),
    log_exchanges: z.boolean().default(false).describe('audit every successful exchange too (exchange.succeeded)'),
  })
  .refine((b) => b.expires_at === undefined || b.expires_in === undefined, { message: 'send expires_at or expires_in, not both' })
  .meta({ id: 'CreateApiKeyRequest' });

const patchKeyBody = z
  .strictObject({
    name: keyName.optional(),
    description: keyDescription.optional(),
    scopes: scopeList.optional(),
    audiences: audienceList.optional(),
    allowed_cidrs: cidrList.optional(),
    expires_at: isoDate.nullable().optional().describe('null removes the expiry'),
    log_exchanges: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' })
  .meta({ id: 'UpdateApiKeyRequest' });

const revokeKeyBody = z.strictObject({ reason: revokeReason.optional() }).meta({ id: 'RevokeApiKeyRequest' });
const rotateKeyBody = z
  .strictObject({
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_PERIOD_SECONDS)
      .default(0)
      .describe('seconds the old key keeps working; 0 = it expires now'),
  })
  .meta({ id: 'RotateApiKeyRequest' });
const listKeysQuery = z.strictObject({
  status: z.enum(['active', 'expired', 'revoked']).optional(),
  environment: environment.optional(),
  unused_for_days: z.coerce.number().int().min(1).max(3_650).optional().describe('only keys never used, or not used for this many days'),
  owner: z.string().regex(ID_PATTERN.user, 'must be a user ID (usr_...)').optional().describe('only the keys of this person (usr_...)'),
  q: safeText(100, { min: 1 }).optional().describe('only keys whose name contains this text, in any case'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export const idParam = z.object({ id: z.string().describe('key ID (key_...)') });

const keySchema = z
  .object({
    id: z.string(),
    org_id: z.string(),
    name: z.string(),
    description: z.string(),
    environment: environment,
    scopes: z.array(z.string()),
    audiences: z.array(z.string()),
    allowed_cidrs: z.array(z.string()),
    status: z.enum(['active', 'expired', 'revoked']),
    secret_hint: z.string(),
    created_at: z.string(),
    created_by: z.string().nullable(),
    updated_at: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    revoked_by: z.string().nullable(),
    revoke_reason: z.string().nullable(),
    last_used_at: z.string().nullable(),
    replaced_by: z.string().nullable(),
    expires_soon: z.boolean().describe('active and expiring within 7 days'),
    log_exchanges: z.boolean(),
    owner: z
      .object({
        type: z.enum(['user', 'key']),
        id: z.string(),
        email: z.string().nullable().optional().describe('for type "user"'),
      })
      .nullable()
      .describe('who the key belongs to: the person who made it, or the key that did; null for keys made by the CLI'),
  })
  .meta({ id: 'ApiKey', description: 'an API key; never its secret' });
const keyWithSecret = keySchema
  .extend({ secret: z.string().describe('shown this once') })
  .meta({ id: 'ApiKeyWithSecret', description: 'a new API key with its secret, shown this once' });
const keyPage = z.object({ data: z.array(keySchema), next_cursor: z.string().nullable() }).meta({ id: 'ApiKeyPage' });

/** A JSON body, or none at all (treated as `{}`) for calls whose every field is optional. */
function optionalJson(req: Request): unknown {
  if (req.body === undefined && !req.get('content-type')) return {};
  bodyKind(req, ['json']);
  return req.body;
}

/** A malformed ID cannot name a key of this org: 404 like any other. */
export function keyIdParam(req: Request): string {
  const id = String(req.params.id);
  if (!isId('key', id)) throw new AppError('not_found', `key ${id.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')} not found`);
  return id;
}

// The collection and one key of it: every path below is one of these.
const KEYS = '/v1/keys';
export const KEY = `${KEYS}/:id`;
// A developer passes these too; the domain then confines them to their own keys.
const read = { kind: 'bearer', scopes: ['keys:read'], permission: 'keys:read' } as const;
const write = { kind: 'bearer', scopes: ['keys:write'], permission: 'keys:write' } as const;
const keyRoute = (r: Omit<Route, 'tags'>): Route => ({
  ...r,
  tags: ['keys'],
  errors: ['invalid_request', 'unavailable', ...(r.errors ?? [])],
});
const expiryOf = (b: z.output<typeof createKeyBody>, nowMs: number) =>
  b.expires_at ? new Date(b.expires_at) : b.expires_in ? new Date(nowMs + b.expires_in * 1000) : null;

export const keyRoutes: Route[] = [
  keyRoute({
    method: 'post',
    path: KEYS,
    operationId: 'createKey',
    summary: 'Create a key (scope keys:write); the secret is in this response only',
    auth: write,
    request: { json: createKeyBody, example: { name: 'billing worker', scopes: ['billing:read'], expires_in: 86_400 } },
    responses: { 201: { description: 'created', schema: keyWithSecret } },
    handler:
      ({ deps }) =>
      async (req, res) => {
        bodyKind(req, ['json']);
        const b = parse(createKeyBody, req.body);
        const now = deps.clock.now();
        const { key, secret } = await createKeyAs(deps, callerOf(req, res), {
          name: b.name,
          description: b.description,
          environment: b.environment,
          scopes: b.scopes,
          audiences: b.audiences,
          allowedCidrs: b.allowed_cidrs,
          expiresAt: expiryOf(b, now),
          logExchanges: b.log_exchanges,
        });
        res.status(201).json({ ...keyView(key, deps.clock.now(), await keyOwnerEmails(deps, [key])), secret });
      },
  }),
  keyRoute({
    method: 'get',
    path: KEYS,
    operationId: 'listKeys',
    summary: 'List keys, newest first, cursor-paginated (scope keys:read)',
    auth: read,
    request: { query: listKeysQuery },
    responses: { 200: { description: 'one page', schema: keyPage } },
    handler:
      ({ deps }) =>
      async (req, res) => {
        const q = parse(listKeysQuery, req.query);
        const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor, (id) => isId('key', id));
        if (q.cursor !== undefined && !before) throw new AppError('invalid_request', '"cursor" is not a cursor returned by this API');
        const page = await listKeysPage(deps, callerOf(req, res), {
          status: q.status,
          environment: q.environment,
          ownerUserId: q.owner,
          unusedForDays: q.unused_for_days,
          nameContains: q.q,
          limit: q.limit,
          before,
        });
        const now = deps.clock.now();
        const emails = await keyOwnerEmails(deps, page.keys);
        res.json({
          data: page.keys.map((k) => keyView(k, now, emails)),
          next_cursor: page.nextBefore ? encodeCursor(page.nextBefore) : null,
        });
      },
  }),
  keyRoute({
    method: 'get',
    path: KEY,
    operationId: 'getKey',
    summary: 'One key (scope keys:read)',
    auth: read,
    request: { params: idParam },
    responses: { 200: { description: 'the key', schema: keySchema } },
    errors: ['not_found'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const key = await getKey(deps, callerOf(req, res), keyIdParam(req));
        res.json(keyView(key, deps.clock.now(), await keyOwnerEmails(deps, [key])));
      },
  }),
  keyRoute({
    method: 'patch',
    path: KEY,
    operationId: 'updateKey',
    summary: 'Change name, description, scopes, audiences, allowed_cidrs or expires_at (scope keys:write)',
    auth: write,
    request: { params: idParam, json: patchKeyBody, example: { name: 'billing worker (nightly)' } },
    responses: { 200: { description: 'the updated key', schema: keySchema } },
    errors: ['not_found', 'conflict'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const id = keyIdParam(req);
        bodyKind(req, ['json']);
        const b = parse(patchKeyBody, req.body);
        const key = await updateKeyAs(deps, callerOf(req, res), id, {
          name: b.name,
          description: b.description,
          scopes: b.scopes,
          audiences: b.audiences,
          allowedCidrs: b.allowed_cidrs,
          expiresAt: b.expires_at === undefined ? undefined : b.expires_at === null ? null : new Date(b.expires_at),
          logExchanges: b.log_exchanges,
        });
        res.json(keyView(key, deps.clock.now(), await keyOwnerEmails(deps, [key])));
      },
  }),
  keyRoute({
    method: 'post',
    path: `${KEY}/revoke`,
    operationId: 'revokeKey',
    summary: 'Revoke at once, everywhere; idempotent (scope keys:write)',
    auth: write,
    request: { params: idParam, json: revokeKeyBody, example: { reason: 'secret leaked in a build log' } },
    responses: { 200: { description: 'the revoked key', schema: keySchema } },
    errors: ['not_found'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const id = keyIdParam(req);
        const b = parse(revokeKeyBody, optionalJson(req));
        const key = await revokeKeyAs(deps, callerOf(req, res), id, b.reason ?? null);
        res.json(keyView(key, deps.clock.now(), await keyOwnerEmails(deps, [key])));
      },
  }),
  keyRoute({
    method: 'delete',
    path: KEY,
    operationId: 'deleteKey',
    summary: 'Same as revoke; the record stays (scope keys:write)',
    auth: write,
    request: { params: idParam },
    responses: { 204: { description: 'revoked' } },
    errors: ['not_found'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        await revokeKeyAs(deps, callerOf(req, res), keyIdParam(req), null);
        res.status(204).end();
      },
  }),
  keyRoute({
    method: 'post',
    path: `${KEY}/rotate`,
    operationId: 'rotateKey',
    summary: 'Replace with a new key of the same settings; the old one expires now or after grace_period_seconds (scope keys:write)',
    auth: write,
    request: { params: idParam, json: rotateKeyBody, example: { grace_period_seconds: 3_600 } },
    responses: {
      201: {
        description: 'the new key with its secret, and the old key',
        schema: keyWithSecret
          .extend({ previous_key: keySchema })
          .meta({ id: 'RotatedApiKey', description: 'the new key with its secret, and the old key' }),
      },
    },
    errors: ['not_found', 'conflict'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const id = keyIdParam(req);
        const b = parse(rotateKeyBody, optionalJson(req));
        const { created, old } = await rotateKeyAs(deps, callerOf(req, res), id, b.grace_period_seconds);
        const now = deps.clock.now();
        const emails = await keyOwnerEmails(deps, [old]);
        res.status(201).json({ ...keyView(created.key, now, emails), secret: created.secret, previous_key: keyView(old, now, emails) });
      },
  }),
];
