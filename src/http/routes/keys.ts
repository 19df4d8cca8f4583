import type { Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { createKeyAs, getKey, listKeysPage, revokeKeyAs, rotateKeyAs, updateKeyAs } from '../../domain/key-management.js';
import { isId } from '../../ids.js';
import { callerOf } from '../caller.js';
import { bodyKind } from '../middleware/client-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';
import { decodeCursor, encodeCursor, keyView } from '../serializers.js';
import { keyOwnerEmails } from '../../domain/people/members.js';
import {
  createKeyBody,
  keyPage,
  keySchema,
  keyWithSecret,
  listKeysQuery,
  patchKeyBody,
  revokeKeyBody,
  rotateKeyBody,
} from '../key-schemas.js';

export const idParam = z.object({ id: z.string().describe('key ID (key_...)') });

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
