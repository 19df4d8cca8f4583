import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createBearerAuth, type ChallengeOptions } from './bearer-auth.js';
import type { Claims } from './claims.js';
import type { Verifier } from './verifier.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- the way to extend express's Request type
  namespace Express {
    interface Request {
      /** The verified token claims, set by `requireAuth`. */
      auth?: Claims;
    }
  }
}

export type RequireAuthOptions = ChallengeOptions & {
  verifier: Verifier;
  /** Scopes this route requires, on top of the verifier's `requiredScopes`. */
  scopes?: string[];
};

/**
 * Express middleware: verifies `Authorization: Bearer <token>`, puts the claims on `req.auth`, and
 * answers RFC 6750 errors itself: 401 with a bare challenge without a Bearer token, 400
 * `invalid_request` for a malformed one, 401 `invalid_token`, 403 `insufficient_scope`, 503 `unavailable`.
 */
export function requireAuth(options: RequireAuthOptions): RequestHandler {
  const authenticate = createBearerAuth(options.verifier, options.scopes ?? [], options);
  return async (req: Request, res: Response, next: NextFunction) => {
    const outcome = await authenticate(req.headers.authorization);
    if (outcome.ok) {
      // Through a plain type: the MCP SDK declares its own `req.auth` (AuthInfo) on the same interface.
      (req as { auth?: Claims }).auth = outcome.claims;
      next();
      return;
    }
    for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
    res.status(outcome.status).json(outcome.body);
  };
}
