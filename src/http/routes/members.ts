import type { Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { changeMemberRole, listOrgMembers, removeMember, transferOwnership } from '../../domain/people/members.js';
import { ROLES } from '../../domain/people/roles.js';
import { isId } from '../../ids.js';
import { callerOf } from '../caller.js';
import { bodyKind } from '../middleware/client-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';

const role = z.enum(ROLES);
const memberSchema = z
  .object({ user_id: z.string(), email: z.string(), name: z.string(), role, joined_at: z.string() })
  .meta({ id: 'Member' });
const patchBody = z.strictObject({ role }).meta({ id: 'UpdateMemberRequest' });
const userIdParam = z.object({ user_id: z.string().describe('user ID (usr_...)') });

/** A malformed ID cannot name a member of this org: 404 like any other. */
function userIdOf(req: Request): string {
  const id = String(req.params.user_id);
  if (!isId('user', id)) throw new AppError('not_found', `member ${id.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')} not found`);
  return id;
}

const MEMBER = '/v1/members/:user_id';
const memberRoute = (r: Omit<Route, 'tags'>): Route => ({
  ...r,
  tags: ['people'],
  errors: ['invalid_request', 'unavailable', ...(r.errors ?? [])],
});

export const memberRoutes: Route[] = [
  memberRoute({
    method: 'get',
    path: '/v1/members',
    operationId: 'listMembers',
    summary: "The organisation's members and their roles",
    auth: { kind: 'bearer', scopes: ['members:read'], permission: 'members:read' },
    responses: { 200: { description: 'every member', schema: z.object({ data: z.array(memberSchema) }).meta({ id: 'MemberList' }) } },
    handler:
      ({ deps }) =>
      async (req, res) => {
        const members = await listOrgMembers(deps, callerOf(req, res));
        res.json({
          data: members.map((m) => ({
            user_id: m.user.id,
            email: m.user.email,
            name: m.user.name,
            role: m.role,
            joined_at: m.joinedAt.toISOString(),
          })),
        });
      },
  }),
  memberRoute({
    method: 'patch',
    path: MEMBER,
    operationId: 'changeMemberRole',
    summary: "Change a member's role; keys the new role does not allow are revoked (owner_demoted)",
    auth: { kind: 'bearer', scopes: ['members:write'], permission: 'members:write' },
    request: { params: userIdParam, json: patchBody, example: { role: 'viewer' } },
    responses: {
      200: {
        description: 'the new role and the keys it revoked',
        schema: z.object({ user_id: z.string(), role, revoked_keys: z.array(z.string()) }).meta({ id: 'MemberRoleChange' }),
      },
    },
    errors: ['not_found', 'forbidden', 'conflict'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const userId = userIdOf(req);
        bodyKind(req, ['json']);
        const b = parse(patchBody, req.body);
        const result = await changeMemberRole(deps, callerOf(req, res), userId, b.role);
        res.json({ user_id: userId, role: result.role, revoked_keys: result.revokedKeys });
      },
  }),
  memberRoute({
    method: 'delete',
    path: MEMBER,
    operationId: 'removeMember',
    summary: 'Remove a member: their sessions in this org end and their keys are revoked (owner_removed)',
    auth: { kind: 'bearer', scopes: ['members:write'], permission: 'members:write' },
    request: { params: userIdParam },
    responses: { 204: { description: 'removed' } },
    errors: ['not_found', 'forbidden', 'conflict'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        await removeMember(deps, callerOf(req, res), userIdOf(req));
        res.status(204).end();
      },
  }),
  memberRoute({
    method: 'post',
    path: `${MEMBER}/transfer-ownership`,
    operationId: 'transferOwnership',
    summary: 'Transfer ownership: the member becomes an owner and you (an owner) become an admin, at once',
    auth: { kind: 'session', permission: 'members:manage_owners' },
    request: { params: userIdParam },
    responses: {
      200: {
        description: 'the new owner, and the keys your new role no longer allows (revoked, owner_demoted)',
        schema: z.object({ owner: z.string(), you: role, revoked_keys: z.array(z.string()) }).meta({ id: 'OwnershipTransfer' }),
      },
    },
    errors: ['not_found', 'forbidden', 'conflict', 'csrf_failed'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const userId = userIdOf(req);
        const result = await transferOwnership(deps, callerOf(req, res), userId);
        res.json({ owner: userId, you: 'admin', revoked_keys: result.revokedKeys });
      },
  }),
];
