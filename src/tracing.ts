import { DiagLogLevel, SpanKind, SpanStatusCode, context, diag, propagation, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import type { Config } from './config.js';
import { AppError } from './errors.js';
import { redactSecrets, type Logger } from './log.js';
import type { Db } from './storage/db.js';
import type { RedisClient } from './storage/redis/client.js';
import { VERSION } from './version.js';

/**
 * OpenTelemetry tracing, optional (DESIGN.md "Observability"). Off unless OTEL_EXPORTER_OTLP_ENDPOINT
 * is set: then nothing of the SDK is loaded, no provider is registered, and every traced call site
 * costs one boolean test (`tracing.on`). Spans are made by hand at a few seams (HTTP request,
 * exchange, key lookup, Postgres and Redis calls): the auto-instrumentation packages patch modules
 * through CommonJS require hooks, which this ESM app's own imports never pass through.
 */
export const tracing: {
  on: boolean;
  /** The server-span layer app.ts mounts first; only while tracing is on. */
  requestLayer?: RequestHandler;
  /** Installs the Postgres and Redis spans on an instance's clients; returns their removal. */
  traceStorage?: (deps: { db: Db; redis?: RedisClient }) => () => void;
} = { on: false };

// semconv's error.type; its package is loaded with the SDK, not before.
const ATTR_ERROR_TYPE = 'error.type';

/** The API's tracer: a no-op one until startTracing registers the SDK's provider. */
export const tracer = trace.getTracer('scope-auth');

export type TracingConfig = NonNullable<Config['tracing']>;

/**
 * Marks a span as failed, without anything secret: a client's refusal (an AppError below 500) is an
 * outcome (its code and audited reason), not an error; for other errors only the type and a redacted
 * message (a knex error's message holds the SQL with its bound values, so callers pass `message: false`).
 */
export function recordFailure(span: Span, err: unknown, message = true): void {
  if (err instanceof AppError && err.status < 500) {
    span.setAttribute(ATTR_ERROR_TYPE, err.code);
    const reason = err.detail?.reason;
    if (typeof reason === 'string') span.setAttribute('scope_auth.reason', reason);
    return;
  }
  const fields = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; name?: unknown };
  const type = fields.code ?? fields.name;
  span.setAttribute(ATTR_ERROR_TYPE, typeof type === 'string' ? type : 'error');
  const text = message && err instanceof Error ? redactSecrets(err.message).slice(0, 200) : undefined;
  span.setStatus({ code: SpanStatusCode.ERROR, ...(text ? { message: text } : {}) });
}

/** Runs `fn` in a new active span (child of the active one), ended when its promise settles. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordFailure(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

export type Tracing = { shutdown(): Promise<void> };

/**
 * With `config` set: loads the SDK (dynamic imports, so an instance without tracing never loads it),
 * registers a provider exporting batches of spans by OTLP/HTTP JSON, and turns the call sites on.
 * `shutdown` exports what is still buffered and turns everything off again.
 */
export async function startTracing(config: TracingConfig | undefined, log: Logger): Promise<Tracing | undefined> {
  if (!config) return undefined;
  // One after another: jest's ES-module loader fails on two concurrent imports that share modules.
  const { NodeTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const semconv = await import('@opentelemetry/semantic-conventions');
  const http = await import('./tracing-http.js');
  const storage = await import('./tracing-storage.js');
  // The SDK's own complaints (an unreachable collector) reach the log once per failure, not stderr.
  diag.setLogger(
    {
      error: (msg) => log.warn({ detail: msg }, 'tracing.failed'),
      warn: (msg) => log.warn({ detail: msg }, 'tracing.failed'),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  const exporter = new OTLPTraceExporter({ url: config.url, headers: { ...config.headers } });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [semconv.ATTR_SERVICE_NAME]: config.serviceName,
      [semconv.ATTR_SERVICE_VERSION]: VERSION,
      'process.pid': process.pid,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.scheduledDelayMs })],
  });
  // Registers the provider, the AsyncLocalStorage context manager and the W3C traceparent propagator.
  provider.register();
  tracing.on = true;
  tracing.requestLayer = http.traceRequests();
  tracing.traceStorage = ({ db, redis }) => {
    const undo = [storage.traceKnex(db), ...(redis ? [storage.traceRedis(redis)] : [])];
    return () => undo.forEach((u) => u());
  };
  // The host only: a URL may carry credentials.
  log.info({ collector: new URL(config.url).host, serviceName: config.serviceName }, 'tracing.started');
  let stopped: Promise<void> | undefined;
  return {
    shutdown: () =>
      (stopped ??= (async () => {
        tracing.on = false;
        tracing.requestLayer = undefined;
        tracing.traceStorage = undefined;
        try {
          await provider.shutdown();
        } finally {
          trace.disable();
          context.disable();
          propagation.disable();
          diag.disable();
        }
      })()),
  };
}
