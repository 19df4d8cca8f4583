import type { Knex } from 'knex';
import type { Db } from './db.js';

export type ActorType = 'key' | 'cli' | 'system' | 'anonymous';

export type AuditEvent = {
  id: string;
  orgId: string | null;
  action: string;
  actorType: ActorType;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  detail: Record<string, unknown>;
  createdAt: Date;
};

type Row = {
  id: string;
  org_id: string | null;
  action: string;
  actor_type: ActorType;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
};

const toEvent = (r: Row): AuditEvent => ({
  id: r.id,
  orgId: r.org_id,
  action: r.action,
  actorType: r.actor_type,
  actorId: r.actor_id,
  targetType: r.target_type,
  targetId: r.target_id,
  ip: r.ip,
  userAgent: r.user_agent,
  requestId: r.request_id,
  detail: r.detail,
  createdAt: r.created_at,
});

/** The columns of one event as `insert` takes them. */
export const auditRow = (e: AuditEvent) => ({
  id: e.id,
  org_id: e.orgId,
  action: e.action,
  actor_type: e.actorType,
  actor_id: e.actorId,
  target_type: e.targetType,
  target_id: e.targetId,
  ip: e.ip,
  user_agent: e.userAgent,
  request_id: e.requestId,
  detail: JSON.stringify(e.detail),
  created_at: e.createdAt,
});

export async function insertAuditEvents(db: Db | Knex.Transaction, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db('audit_events').insert(events.map(auditRow));
}

export type AuditFilter = {
  orgId: string;
  keyId?: string;
  action?: string;
  since?: Date;
  until?: Date;
  /** Events whose ID sorts before this one (newest first). */
  before?: string;
  limit: number;
};

export async function listAuditEvents(db: Db, f: AuditFilter): Promise<AuditEvent[]> {
  const q = db<Row>('audit_events').where('org_id', f.orgId);
  if (f.keyId) q.andWhere((w) => w.where('target_id', f.keyId).orWhere('actor_id', f.keyId));
  if (f.action) q.andWhere('action', f.action);
  if (f.since) q.andWhere('created_at', '>=', f.since);
  if (f.until) q.andWhere('created_at', '<', f.until);
  if (f.before) q.andWhere('id', '<', f.before);
  const rows = await q.orderBy('id', 'desc').limit(f.limit);
  return rows.map(toEvent);
}
