import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import type { RequestHandler } from 'express';
import { routeLabel } from './http/middleware/request-observer.js';
import { tracer } from './tracing.js';

/**
 * The server span of every request, continuing the caller's W3C `traceparent`, with everything the
 * request does (exchange, key lookup, Postgres, Redis) as its descendants. Named by the route as
 * declared, never the raw URL; no header, query string or body goes into an attribute.
 * Mounted only while tracing is on (see app.ts).
 */
export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(req.method, { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method } }, parent);
    // Log lines carry the trace ID even when the caller sent none (request-id.ts sets the caller's).
    res.locals.traceId ??= span.spanContext().traceId;
    res.once('close', () => {
      const route = routeLabel(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!res.writableFinished) span.setAttribute('scope_auth.aborted', true);
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
