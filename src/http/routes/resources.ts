import type { Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { Resource } from '../../domain/model.js';
import { createResource, deleteOrgResource, listOrgResources, updateOrgResource } from '../../domain/resources.js';
import { AUDIENCE_PATTERN, SCOPE_PATTERN } from '../../domain/scopes.js';
import { isId } from '../../ids.js';
import { safeText } from '../../schemas.js';
import { callerOf } from '../caller.js';
import { bodyKind } from '../middleware/client-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';

const scopeDecl = z.strictObject({
  name: z.string().regex(SCOPE_PATTERN, 'scopes are 1-100 characters of letters, digits and : . _ / -'),
  description: safeText(500).default(''),
});
const scopeDecls = z.array(scopeDecl).max(100, 'at most 100 scopes');
const resourceName = safeText(100, { min: 1, trim: true });
const createBody = z
  .strictObject({
    name: resourceName,
    audience: z.string().regex(AUDIENCE_PATTERN, 'audiences are 1-256 printable characters without spaces'),
    scopes: scopeDecls.default([]),
  })
  .meta({ id: 'CreateResourceRequest' });
const patchBody = z
  .strictObject({ name: resourceName.optional(), scopes: scopeDecls.optional() })
  .refine((b) => b.name !== undefined || b.scopes !== undefined, { message: 'nothing to change' })
  .meta({ id: 'UpdateResourceRequest' });
const idParam = z.object({ id: z.string().describe('resource ID (res_...)') });

const resourceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    audience: z.string(),
    scopes: z.array(z.object({ name: z.string(), description: z.string() })),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Resource' });
const view = (r: Resource) => ({
  id: r.id,
  name: r.name,
  audience: r.audience,
  scopes: r.scopes,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});

function resourceId(req: Request): string {
  const id = String(req.params.id);
  if (!isId('resource', id)) throw new AppError('not_found', `resource ${id.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')} not found`);
  return id;
}

const write = { kind: 'bearer', scopes: ['resources:write'], permission: 'resources:write' } as const;
const resourceRoute = (r: Omit<Route, 'tags'>): Route => ({
  ...r,
  tags: ['resources'],
  errors: ['invalid_request', 'unavailable', ...(r.errors ?? [])],
});

export const resourceRoutes: Route[] = [
  resourceRoute({
    method: 'post',
    path: '/v1/resources',
    operationId: 'createResource',
    summary: "Declare one of the organisation's APIs: its audience and scopes; from then on keys are checked against the catalogue",
    auth: write,
    request: {
      json: createBody,
      example: {
        name: 'Billing API',
        audience: 'https://billing.example',
        scopes: [{ name: 'billing:read', description: 'read invoices' }],
      },
    },
    responses: { 201: { description: 'created', schema: resourceSchema } },
    errors: ['conflict'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        bodyKind(req, ['json']);
        const b = parse(createBody, req.body);
        res.status(201).json(view(await createResource(deps, callerOf(req, res), b)));
      },
  }),
  resourceRoute({
    method: 'get',
    path: '/v1/resources',
    operationId: 'listResources',
    summary:
      "The organisation's APIs and their scopes: what a key may name (token scope keys:read: DESIGN.md's scopes hold no catalogue-only read, and the catalogue is what keys are made from)",
    // No read-only catalogue scope exists among DESIGN.md's management scopes; resources:write is for
    // changing the catalogue. keys:read fits: whoever may see keys may see what they can be granted.
    auth: { kind: 'bearer', scopes: ['keys:read'], permission: 'resources:read' },
    responses: {
      200: {
        description: 'every resource, oldest first',
        schema: z.object({ data: z.array(resourceSchema) }).meta({ id: 'ResourceList' }),
      },
    },
    handler:
      ({ deps }) =>
      async (req, res) => {
        res.json({ data: (await listOrgResources(deps, callerOf(req, res))).map(view) });
      },
  }),
  resourceRoute({
    method: 'patch',
    path: '/v1/resources/:id',
    operationId: 'updateResource',
    summary: 'Rename a resource or change its scopes (a scope an active key uses cannot be removed: 409)',
    auth: write,
    request: { params: idParam, json: patchBody, example: { name: 'Billing API v2' } },
    responses: { 200: { description: 'the resource', schema: resourceSchema } },
    errors: ['not_found', 'conflict'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const id = resourceId(req);
        bodyKind(req, ['json']);
        const b = parse(patchBody, req.body);
        res.json(view(await updateOrgResource(deps, callerOf(req, res), id, b)));
      },
  }),
  resourceRoute({
    method: 'delete',
    path: '/v1/resources/:id',
    operationId: 'deleteResource',
    summary: 'Delete a resource; refused (409) while an active key uses its audience',
    auth: write,
    request: { params: idParam },
    responses: { 204: { description: 'deleted' } },
    errors: ['not_found', 'conflict'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        await deleteOrgResource(deps, callerOf(req, res), resourceId(req));
        res.status(204).end();
      },
  }),
];
