import type { Request, RequestHandler } from 'express';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';

/** The route as declared ('/v1/keys/:id'), never the raw URL (IDs would become label values). */
export function routeLabel(req: Request): string {
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return path;
  // A route with aliases answers at several paths: name the one that was asked for.
  if (Array.isArray(path)) return path.includes(req.path) ? req.path : String(path[0]);
  return '(unmatched)';
}

/**
 * Once a request is answered: counted in the metrics, and one access line (route, status, duration,
 * request ID, the key or person acting where known; never a query string, which may hold pasted
 * credentials). Successes can be sampled (ACCESS_LOG_SAMPLE); refusals and failures never are.
 */
export function requestObserver(deps: {
  log: Logger;
  metrics: Pick<Metrics, 'request'>;
  config: Pick<Config, 'accessLog'>;
}): RequestHandler {
  const { level, sample } = deps.config.accessLog;
  const write =
    level === 'silent' || !deps.log.isLevelEnabled(level) ? undefined : (line: object) => deps.log[level](line, 'request.completed');
  const logs = write !== undefined;
  return (req, res, next) => {
    const started = logs ? performance.now() : 0;
    res.once('finish', () => {
      const route = routeLabel(req);
      deps.metrics.request(route, req.method, res.statusCode);
      if (!write || (res.statusCode < 400 && sample < 1 && Math.random() >= sample)) return;
      const ms = Math.round((performance.now() - started) * 100) / 100;
      const actor = res.locals.claims?.sub ?? res.locals.keyId;
      const { requestId, traceId } = res.locals;
      write({
        requestId,
        ...(traceId ? { traceId } : {}),
        method: req.method,
        route,
        status: res.statusCode,
        ms,
        ...(actor ? { keyId: actor } : {}),
      });
    });
    next();
  };
}
