import type { RequestHandler } from 'express';

// Only public, read-only documents may be fetched cross-origin from browsers. Credential
// exchange and management are for servers: a browser should never hold an API secret.
const PUBLIC_GETS = /^\/(\.well-known\/(jwks\.json|oauth-authorization-server)|v1\/revocations(\/stream)?|openapi\.json)$/;

/** CORS for the allow-listed origins only (CORS_ORIGINS); without origins, no CORS headers at all. */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    if (allowed.size === 0 || !origin || !PUBLIC_GETS.test(req.path)) {
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
