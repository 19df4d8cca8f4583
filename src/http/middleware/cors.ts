import type { RequestHandler } from 'express';

/**
 * CORS for the allow-listed origins only (CORS_ORIGINS), on `paths` only: the public, read-only
 * documents. Credential exchange and management are for servers: a browser should never hold an API secret.
 */
export function cors(origins: readonly string[], paths: Iterable<string>): RequestHandler {
  const allowed = new Set(origins);
  const documents = new Set(paths);
  return (req, res, next) => {
    const origin = req.get('origin');
    if (allowed.size === 0 || !origin || !documents.has(req.path)) {
      next();
      return;
    }
    res.vary('Origin');
    if (!allowed.has(origin)) {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET');
      res.setHeader('Access-Control-Allow-Headers', 'Last-Event-ID, If-None-Match');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', 'ETag, X-Request-Id');
    next();
  };
}
