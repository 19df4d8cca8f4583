import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../log.js';

// An incoming ID is reused only if it is short and plain: it ends up in logs and headers.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Tags the request with an ID (echoed in X-Request-Id). At debug level it also logs every request's
 * outcome; otherwise refusals and failures are logged by the error handler and successes not at all,
 * since a log line per exchange is a real share of an exchange's cost.
 */
export function requestId(log: Logger): RequestHandler {
  const traceAll = log.isLevelEnabled('debug');
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    // The root logger with the ID as a field: a child logger per request costs more than the line.
    res.locals.log = log;
    res.setHeader('X-Request-Id', id);
    if (!traceAll) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The path only: a query string may hold credentials someone pasted where they should not.
      log.debug({ requestId: id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 100) / 100 }, 'request.completed');
    });
    next();
  };
}
