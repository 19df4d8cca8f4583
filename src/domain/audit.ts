import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import type { Db } from '../storage/db.js';
import { insertAuditEvents, type ActorType, type AuditEvent } from '../storage/audit-events.js';

/** Where a request came from, as plain data: the domain never sees `req`. */
export type RequestContext = { ip: string | null; userAgent: string | null; requestId: string | null };
export type Actor = { type: ActorType; id: string | null };

export type AuditInput = {
  orgId: string | null;
  action: string;
  actor: Actor;
  target?: { type: string; id: string };
  context?: RequestContext;
  detail?: Record<string, unknown>;
};

export type AuditLog = {
  /** Written in the caller's transaction: a management action and its record commit together. */
  write(trx: Db | Knex.Transaction, input: AuditInput): Promise<AuditEvent>;
  /** The record of an action, for storage that writes it together with the action in one statement. */
  event(input: AuditInput): AuditEvent;
  /** Buffered off the request path (refused exchanges); flushed in batches. */
  enqueue(input: AuditInput): void;
  flush(): Promise<number>;
  pending(): number;
};

const MAX_BUFFER = 10_000;
const FIELD_MAX = 512;

export function createAuditLog(db: Db, clock: Clock, log: Logger): AuditLog {
  let buffer: AuditEvent[] = [];
  let flushing: Promise<number> | undefined;

  const build = (i: AuditInput): AuditEvent => {
    const now = clock.now();
    return {
      id: newId('event', now),
      orgId: i.orgId,
      action: i.action,
      actorType: i.actor.type,
      actorId: i.actor.id,
      targetType: i.target?.type ?? null,
      targetId: i.target?.id ?? null,
      ip: i.context?.ip ?? null,
      userAgent: i.context?.userAgent?.slice(0, FIELD_MAX) ?? null,
      requestId: i.context?.requestId ?? null,
      detail: i.detail ?? {},
      createdAt: new Date(now),
    };
  };

  async function flushOnce(): Promise<number> {
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return 0;
    try {
      await insertAuditEvents(db, batch);
      return batch.length;
    } catch (err) {
      // Keep them for the next attempt (bounded, so a long outage cannot exhaust memory).
      buffer = batch.concat(buffer).slice(-MAX_BUFFER);
      log.warn({ err, pending: buffer.length }, 'audit.flush_failed');
      throw err;
    }
  }

  return {
    async write(trx, input) {
      const event = build(input);
      await insertAuditEvents(trx, [event]);
      return event;
    },
    event: build,
    enqueue(input) {
      if (buffer.length >= MAX_BUFFER) {
        log.warn({ action: input.action }, 'audit.buffer_full');
        return;
      }
      buffer.push(build(input));
    },
    async flush() {
      // Serialise flushes: a timer flush and a shutdown flush must not write the same batch twice.
      while (flushing) await flushing.catch(() => undefined);
      flushing = flushOnce();
      try {
        return await flushing;
      } finally {
        flushing = undefined;
      }
    },
    pending: () => buffer.length,
  };
}
