import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import { redactSecrets, type Logger } from '../log.js';
import { isDatabaseUnavailable, type Db } from '../storage/db.js';
import { insertAuditEvents } from '../storage/audit-events.js';
import type { ActorType, AuditEvent } from './model.js';
import { serialQueue } from './serial.js';

/** Where a request came from, as plain data: the domain never sees `req`. */
export type RequestContext = { ip: string | null; userAgent: string | null; requestId: string | null };
export type Actor = { type: ActorType; id: string | null; email?: string };

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
  /** Writes the buffer; resolves to the number of records written. */
  flush(): Promise<number>;
  pending(): number;
  /** Records Postgres refused and that were dropped (each logged as `audit.row_dropped`) since start. */
  dropped(): number;
};

const MAX_BUFFER = 10_000;
const FIELD_MAX = 512;
const DETAIL_TEXT_MAX = 1_024;
const DETAIL_ITEMS_MAX = 100;
const DETAIL_DEPTH_MAX = 4;

// Postgres text cannot hold NUL, and jsonb refuses unpaired surrogates: one such character in a
// caller-supplied value used to make the whole batch INSERT fail for ever (issue 16, point 1).
// With the `u` flag, \p{Cs} matches only surrogates that are not part of a pair.
const UNSTORABLE = /[\0\p{Cs}]/gu;

/** Text safe to store: no secret-shaped value, no NUL or lone surrogate, at most `max` characters. */
function cleanText(s: string, max: number): string {
  return redactSecrets(s).slice(0, max).replace(UNSTORABLE, '\ufffd');
}

const cleanColumn = (s: string | null | undefined): string | null => (s == null ? null : cleanText(s, FIELD_MAX));

/** Detail is free-form JSON: clean every string (keys too) and bound its size and depth. */
function cleanDetail(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cleanText(value, DETAIL_TEXT_MAX);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (depth >= DETAIL_DEPTH_MAX) return '[too deep]';
  if (Array.isArray(value)) return value.slice(0, DETAIL_ITEMS_MAX).map((v) => cleanDetail(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const entries = Object.entries(value).slice(0, DETAIL_ITEMS_MAX);
    return Object.fromEntries(entries.map(([k, v]) => [cleanText(k, 100), cleanDetail(v, depth + 1)]));
  }
  if (value === undefined) return null;
  // What is left (bigint, symbol, function) is recorded by its text or its kind, never as an object.
  return cleanText(typeof value === 'bigint' ? value.toString() : `[${typeof value}]`, DETAIL_TEXT_MAX);
}

export function createAuditLog(db: Db, clock: Clock, log: Logger): AuditLog {
  let buffer: AuditEvent[] = [];
  const serial = serialQueue();
  let droppedCount = 0;

  // Every text that reaches the audit table passes through here, whatever its source.
  const build = (i: AuditInput): AuditEvent => {
    const now = clock.now();
    return {
      id: newId('event', now),
      orgId: cleanColumn(i.orgId),
      action: cleanText(i.action, 64),
      actorType: i.actor.type,
      actorId: cleanColumn(i.actor.id),
      targetType: cleanColumn(i.target?.type),
      targetId: cleanColumn(i.target?.id),
      ip: cleanColumn(i.context?.ip),
      userAgent: cleanColumn(i.context?.userAgent),
      requestId: cleanColumn(i.context?.requestId),
      // A person is named by ID and email (issue 19); the table has one actor column, so the email rides in detail.
      detail: cleanDetail(i.actor.email === undefined ? (i.detail ?? {}) : { ...i.detail, actor_email: i.actor.email }, 0) as Record<
        string,
        unknown
      >,
      createdAt: new Date(now),
    };
  };

  const drop = (event: AuditEvent, err: unknown) => {
    droppedCount++;
    // The SQLSTATE only: Postgres messages can quote the refused value.
    log.error({ id: event.id, action: event.action, code: (err as { code?: unknown }).code }, 'audit.row_dropped');
  };

  /**
   * Writes `batch`; when Postgres refuses it for a reason other than being unreachable, halves it
   * until the refused rows are isolated, writes the rest and drops those. An unreachable database
   * puts everything not yet written back in the buffer (bounded) and rethrows.
   */
  async function writeIsolating(batch: AuditEvent[]): Promise<number> {
    const todo = [batch];
    let written = 0;
    for (let part = todo.pop(); part; part = todo.pop()) {
      try {
        await insertAuditEvents(db, part);
        written += part.length;
      } catch (err) {
        if (isDatabaseUnavailable(err)) {
          buffer = [...part, ...todo.reverse().flat(), ...buffer].slice(-MAX_BUFFER);
          throw err;
        }
        if (part.length === 1) drop(part[0]!, err);
        else todo.push(part.slice(part.length >> 1), part.slice(0, part.length >> 1));
      }
    }
    return written;
  }

  async function flushOnce(): Promise<number> {
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return 0;
    try {
      return await writeIsolating(batch);
    } catch (err) {
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
        log.warn({ action: input.action.slice(0, 64) }, 'audit.buffer_full');
        return;
      }
      buffer.push(build(input));
    },
    // A timer flush and a shutdown flush must not write the same batch twice.
    flush: () => serial(flushOnce),
    pending: () => buffer.length,
    dropped: () => droppedCount,
  };
}
