import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../../metrics.js';

/** The route as declared ('/v1/keys/:id'), never the raw URL (IDs would become label values). */
function routeLabel(req: Request): string {
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return path;
  // A route with aliases answers at several paths: name the one that was asked for.
  if (Array.isArray(path)) return path.includes(req.path) ? req.path : String(path[0]);
  return '(unmatched)';
}

/** Counts every answered request by route, method and status. */
export function requestMetrics(metrics: Pick<Metrics, 'request'>): RequestHandler {
  return (req, res, next) => {
    res.once('finish', () => metrics.request(routeLabel(req), req.method, res.statusCode));
    next();
  };
}
