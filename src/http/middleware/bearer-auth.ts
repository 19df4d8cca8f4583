import type { RequestHandler } from 'express';
import { AppError } from '../../errors.js';
import { hasScopes } from '../../domain/scopes.js';
import { verifyAccessToken, type AccessClaims, type VerificationDeps } from '../../domain/token-verification.js';

export type { AccessClaims };

/** RFC 6750 §2.1: `Authorization: Bearer <token>`; a token anywhere else is refused. */
export function readBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  if (!m) throw new AppError('invalid_token', 'Authorization header must be "Bearer <token>"', { reason: 'malformed_header' });
  return m[1];
}

/** Requires a valid access token for the management audience; its claims land in res.locals.claims. */
export function bearerAuth(deps: VerificationDeps): RequestHandler {
  return async (req, res, next) => {
    const token = readBearer(req.get('authorization'));
    // RFC 6750 §3.1: no credentials at all → a challenge without an error code.
    if (!token) throw new AppError('invalid_token', 'an access token is required', { reason: 'no_token', challengeOnly: true });
    res.locals.claims = await verifyAccessToken(deps, token, deps.config.managementAudience);
    next();
  };
}

/** 403 insufficient_scope unless the token holds every listed scope (RFC 6750 §3.1). */
export function requireScopes(...scopes: string[]): RequestHandler {
  return (_req, res, next) => {
    const claims = res.locals.claims;
    if (!claims) throw new TypeError('requireScopes used without bearerAuth');
    if (!hasScopes(claims.scopes, scopes)) {
      throw new AppError('insufficient_scope', `this call requires scope "${scopes.join(' ')}"`, { scope: scopes.join(' ') });
    }
    next();
  };
}
