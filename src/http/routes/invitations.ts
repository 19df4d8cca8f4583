import { z } from 'zod';
import { AppError } from '../../errors.js';
import { acceptInvitation, invite, listInvitations, withdrawInvitation, type Invitation } from '../../domain/people/invitations.js';
import { ROLES } from '../../domain/people/roles.js';
import { MAX_PASSWORD_LENGTH } from '../../crypto/passwords.js';
import { isId } from '../../ids.js';
import { safeText } from '../../schemas.js';
import { callerOf } from '../caller.js';
import { bodyKind } from '../middleware/client-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';
import { openingRoute } from './session.js';

const role = z.enum(ROLES);
const inviteBody = z.strictObject({ email: z.string().min(3).max(254), role }).meta({ id: 'CreateInvitationRequest' });
const acceptBody = z
  .strictObject({
    token: z.string().min(1).max(100),
    name: safeText(100, { min: 1, trim: true }).describe('for a new account; ignored when the address already has one'),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH).describe("a new account's password, or the existing account's"),
  })
  .meta({ id: 'AcceptInvitationRequest' });
const invitationSchema = z
  .object({ id: z.string(), email: z.string(), role, created_at: z.string(), expires_at: z.string() })
  .meta({ id: 'Invitation' });
const idParam = z.object({ id: z.string().describe('invitation ID (inv_...)') });

const view = (i: Invitation) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  created_at: i.createdAt.toISOString(),
  expires_at: i.expiresAt.toISOString(),
});
const tags = ['people'];

export const invitationRoutes: Route[] = [
  {
    method: 'post',
    path: '/v1/invitations',
    operationId: 'createInvitation',
    summary: 'Invite a person by email to a role; the accept_url (valid 7 days, single use) is in this response only',
    tags,
    auth: { kind: 'bearer', scopes: ['members:write'], permission: 'members:write' },
    request: { json: inviteBody, example: { email: 'new.person@example.com', role: 'developer' } },
    responses: {
      201: {
        description: 'invited',
        schema: invitationSchema.extend({ accept_url: z.string().describe('shown this once') }).meta({ id: 'InvitationWithAcceptUrl' }),
      },
    },
    errors: ['invalid_request', 'forbidden', 'conflict', 'unavailable'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        bodyKind(req, ['json']);
        const b = parse(inviteBody, req.body);
        const { invitation, acceptUrl } = await invite(deps, callerOf(req, res), b.email, b.role);
        res.status(201).json({ ...view(invitation), accept_url: acceptUrl });
      },
  },
  {
    method: 'get',
    path: '/v1/invitations',
    operationId: 'listInvitations',
    summary: 'Pending invitations (never their tokens)',
    tags,
    auth: { kind: 'bearer', scopes: ['members:read'], permission: 'members:read' },
    responses: {
      200: {
        description: 'pending invitations, newest first',
        schema: z.object({ data: z.array(invitationSchema) }).meta({ id: 'InvitationList' }),
      },
    },
    handler:
      ({ deps }) =>
      async (req, res) => {
        res.json({ data: (await listInvitations(deps, callerOf(req, res))).map(view) });
      },
  },
  {
    method: 'delete',
    path: '/v1/invitations/:id',
    operationId: 'withdrawInvitation',
    summary: 'Withdraw a pending invitation',
    tags,
    auth: { kind: 'bearer', scopes: ['members:write'], permission: 'members:write' },
    request: { params: idParam },
    responses: { 204: { description: 'withdrawn' } },
    errors: ['not_found'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const id = String(req.params.id);
        if (!isId('invitation', id))
          throw new AppError('not_found', `invitation ${id.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')} not found`);
        await withdrawInvitation(deps, callerOf(req, res), id);
        res.status(204).end();
      },
  },
  openingRoute({
    path: '/v1/invitations/accept',
    operationId: 'acceptInvitation',
    summary: 'Accept an invitation with the token of its accept_url: makes the account (or adds the membership) and signs in',
    body: acceptBody,
    example: { token: 'from-the-accept-url', name: 'New Person', password: 'correct horse battery' },
    description: 'signed in as the new member',
    errors: ['invalid_request', 'invalid_credentials', 'not_found', 'conflict', 'csrf_failed', 'unavailable'],
    open: (deps, b, context) => acceptInvitation(deps, { token: b.token, name: b.name, password: b.password }, context),
  }),
];
