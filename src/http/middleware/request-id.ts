import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../log.js';

// An incoming ID is reused only if it is short and plain: it ends up in logs and headers.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// W3C Trace Context: version-traceid-parentid-flags; an all-zero trace ID is invalid.
const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Tags the request with an ID (echoed in X-Request-Id); request-observer.ts logs its outcome. */
export function requestId(log: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    // A caller's trace ID joins every log line of the request, so logs line up with its traces.
    const traceId = TRACEPARENT.exec(req.get('traceparent') ?? '')?.[1];
    if (traceId) res.locals.traceId = traceId;
    // The root logger with the ID as a field: a child logger per request costs more than the line.
    res.locals.log = log;
    res.setHeader('X-Request-Id', id);
    next();
  };
}
