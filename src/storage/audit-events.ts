import type { Knex } from 'knex';
import type { AuditEvent } from '../domain/model.js';
import { columnMap, type RowOf } from './columns.js';
import type { Db } from './db.js';

const events = columnMap<AuditEvent>()({
  id: 'id',
  orgId: 'org_id',
  action: 'action',
  actorType: 'actor_type',
  actorId: 'actor_id',
  targetType: 'target_type',
  targetId: 'target_id',
  ip: 'ip',
  userAgent: 'user_agent',
  requestId: 'request_id',
  detail: 'detail',
  createdAt: 'created_at',
});

type Row = RowOf<AuditEvent, typeof events.columns>;
const toEvent = events.toModel;

/** The columns of one event as `insert` takes them (`detail` as JSON text for the jsonb column). */
export const auditRow = (e: AuditEvent) => ({ ...events.toRow(e), detail: JSON.stringify(e.detail) });

export async function insertAuditEvents(db: Db | Knex.Transaction, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db('audit_events').insert(events.map(auditRow));
}

export type AuditFilter = {
  orgId: string;
  keyId?: string;
  action?: string;
  /** Events done by this person or key. */
  actorId?: string;
  since?: Date;
  until?: Date;
  /** Events whose ID sorts before this one (newest first). */
  before?: string;
  limit: number;
};

export async function listAuditEvents(db: Db, f: AuditFilter): Promise<AuditEvent[]> {
  const q = db<Row>('audit_events').where('org_id', f.orgId);
  if (f.keyId) q.andWhere((w) => void w.where('target_id', f.keyId).orWhere('actor_id', f.keyId));
  if (f.action) q.andWhere('action', f.action);
  if (f.actorId) q.andWhere('actor_id', f.actorId);
  if (f.since) q.andWhere('created_at', '>=', f.since);
  if (f.until) q.andWhere('created_at', '<', f.until);
  if (f.before) q.andWhere('id', '<', f.before);
  const rows = await q.orderBy('id', 'desc').limit(f.limit);
  return rows.map(toEvent);
}
