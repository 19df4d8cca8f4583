import { SpanKind, type Span } from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type { Db } from './storage/db.js';
import type { RedisClient } from './storage/redis/client.js';
import { recordFailure, tracer, tracing } from './tracing.js';

type KnexQuery = { __knexQueryUid?: string; sql?: string; method?: string };

// Spans of queries that never answered (a stream, a lost connection) are dropped past this many.
const MAX_OPEN_QUERIES = 10_000;
const TABLE = /\b(?:from|into|update|join)\s+"?([A-Za-z_][\w]*)"?/i;

/**
 * A CLIENT span per Postgres query, from knex's query events (they fire in the caller's async
 * context, so each span is a child of the lookup or request that ran it). The SQL text has `?`
 * placeholders: bound values (hashes, emails, addresses) never reach a span. Returns the unhook.
 */
export function traceKnex(db: Db): () => void {
  const open = new Map<string, Span>();
  const onQuery = (q: KnexQuery) => {
    if (!tracing.on || q.__knexQueryUid === undefined || typeof q.sql !== 'string') return;
    if (open.size >= MAX_OPEN_QUERIES) open.clear();
    // The statement's own verb (knex's method says `first` or `raw`).
    const operation = (/^\s*([A-Za-z]+)/.exec(q.sql)?.[1] ?? 'query').toUpperCase();
    const table = TABLE.exec(q.sql)?.[1];
    open.set(
      q.__knexQueryUid,
      tracer.startSpan(table ? `${operation} ${table}` : operation, {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
          [ATTR_DB_OPERATION_NAME]: operation,
          ...(table ? { [ATTR_DB_COLLECTION_NAME]: table } : {}),
          [ATTR_DB_QUERY_TEXT]: q.sql.slice(0, 2_000),
        },
      }),
    );
  };
  const end = (q: KnexQuery | undefined, err?: unknown) => {
    const uid = q?.__knexQueryUid;
    const span = uid === undefined ? undefined : open.get(uid);
    if (!span || uid === undefined) return;
    open.delete(uid);
    // knex puts the SQL with its bound values in the message: the error's type and code only.
    if (err !== undefined) recordFailure(span, err, false);
    span.end();
  };
  const onResponse = (_response: unknown, q: KnexQuery) => end(q);
  const onError = (err: unknown, q: KnexQuery) => end(q, err);
  db.on('query', onQuery).on('query-response', onResponse).on('query-error', onError);
  return () => {
    db.off('query', onQuery).off('query-response', onResponse).off('query-error', onError);
    for (const span of open.values()) span.end();
    open.clear();
  };
}

type RedisCommand = { name: string; promise: Promise<unknown> };
type SendCommand = (command: RedisCommand, ...rest: unknown[]) => unknown;

/**
 * A CLIENT span per Redis command, by wrapping this client's `sendCommand` (every command, pipelined
 * or not, passes through it). Only the command's name is recorded: its keys hold IDs and addresses.
 * Returns the unhook.
 */
export function traceRedis(redis: RedisClient): () => void {
  const target = redis as unknown as { sendCommand: SendCommand };
  const original = target.sendCommand;
  target.sendCommand = function (this: unknown, command: RedisCommand, ...rest: unknown[]) {
    if (!tracing.on) return original.call(this, command, ...rest);
    const operation = command.name.toUpperCase();
    const span = tracer.startSpan(operation, {
      kind: SpanKind.CLIENT,
      attributes: { [ATTR_DB_SYSTEM_NAME]: 'redis', [ATTR_DB_OPERATION_NAME]: operation },
    });
    const result = original.call(this, command, ...rest);
    command.promise.then(
      () => span.end(),
      (err: unknown) => {
        recordFailure(span, err, false);
        span.end();
      },
    );
    return result;
  };
  return () => {
    target.sendCommand = original;
  };
}
