import { z } from 'zod';
import { AppError } from '../../errors.js';
import { ID_PATTERN, isId } from '../../ids.js';
import { listAuditEvents } from '../../storage/audit-events.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';
import { auditView, decodeCursor, encodeCursor } from '../serializers.js';

const isoTime = z.iso.datetime({ offset: true });
const auditQuery = z
  .strictObject({
    key_id: z
      .string()
      .regex(ID_PATTERN.key, 'must be a key ID (key_ followed by a ULID)')
      .optional()
      .describe('events about (or by) this key'),
    action: z
      .string()
      .regex(/^[a-z_.-]{1,64}$/)
      .optional()
      .describe('e.g. key.created, key.revoked, exchange.rejected'),
    actor: z
      .string()
      .refine((id) => isId('user', id) || isId('key', id), 'must be the ID of a person (usr_...) or a key (key_...)')
      .optional()
      .describe('events done by this person or key (actor.id)'),
    from: isoTime.optional().describe('events at or after this time'),
    to: isoTime.optional().describe('events before this time'),
    since: isoTime.optional().describe('the same as from'),
    until: isoTime.optional().describe('the same as to'),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(200).optional(),
  })
  .refine((q) => q.from === undefined || q.since === undefined, { message: 'send from or since, not both', path: ['from'] })
  .refine((q) => q.to === undefined || q.until === undefined, { message: 'send to or until, not both', path: ['to'] });

const auditEvent = z
  .object({
    id: z.string(),
    org_id: z.string().nullable(),
    action: z.string(),
    actor: z.object({ type: z.string(), id: z.string().nullable() }),
    target: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .meta({ id: 'AuditEvent' });
const auditPage = z.object({ data: z.array(auditEvent), next_cursor: z.string().nullable() }).meta({ id: 'AuditEventPage' });

export const auditRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/audit-events',
    operationId: 'listAuditEvents',
    summary: 'Who did what to which key, when and from where; newest first (scope audit:read)',
    tags: ['audit'],
    auth: { kind: 'bearer', scopes: ['audit:read'], permission: 'audit:read' },
    request: { query: auditQuery },
    responses: { 200: { description: 'one page', schema: auditPage } },
    errors: ['invalid_request'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const q = parse(auditQuery, req.query);
        const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor, (id) => isId('event', id));
        if (q.cursor !== undefined && !before) throw new AppError('invalid_request', '"cursor" is not a cursor returned by this API');
        const orgId = res.locals.claims?.orgId ?? res.locals.person?.orgId;
        if (!orgId) throw new TypeError('audit route without management auth');
        const rows = await listAuditEvents(deps.db, {
          orgId,
          keyId: q.key_id,
          action: q.action,
          actorId: q.actor,
          since: (q.from ?? q.since) === undefined ? undefined : new Date((q.from ?? q.since)!),
          until: (q.to ?? q.until) === undefined ? undefined : new Date((q.to ?? q.until)!),
          before,
          limit: q.limit + 1,
        });
        const page = rows.slice(0, q.limit);
        const last = page.at(-1);
        res.json({ data: page.map(auditView), next_cursor: rows.length > q.limit && last ? encodeCursor(last.id) : null });
      },
  },
];
