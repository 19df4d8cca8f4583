import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../log.js';

// An incoming ID is reused only if it is short and plain: it ends up in logs and headers.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Tags the request with an ID (echoed in X-Request-Id); request-observer.ts logs its outcome. */
export function requestId(log: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    // The root logger with the ID as a field: a child logger per request costs more than the line.
    res.locals.log = log;
    res.setHeader('X-Request-Id', id);
    next();
  };
}
