import type { RequestHandler } from 'express';
import { AppError } from '../../errors.js';
import { hasScopes } from '../../domain/scopes.js';
import { verifyAccessToken, type AccessClaims, type VerificationDeps } from '../../domain/token-verification.js';

export type { AccessClaims };

/**
 * RFC 6750 §2.1: `Authorization: Bearer <token>`. Another scheme carries no credential for this API
 * (undefined: a bare challenge, §3.1); a Bearer header that is malformed is 400 invalid_request (§3.1).
 */
export function readBearer(header: string | undefined): string | undefined {
  if (!header || !/^bearer(?: |$)/i.test(header)) return undefined;
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  if (!m)
    throw new AppError(
      'invalid_request',
      'Authorization header must be "Bearer <token>"',
      { reason: 'malformed_header' },
      { challenge: 'bearer-error' },
    );
  return m[1];
}

/**
 * The claims of a valid access token for the management audience, from an Authorization header.
 * A token minted for another API is no credential here: a resource service that received one could
 * otherwise replay it against this service (issue 16, point 6).
 */
export async function verifyManagementBearer(deps: VerificationDeps, header: string | undefined): Promise<AccessClaims> {
  const token = readBearer(header);
  // RFC 6750 §3.1: no credentials (or another scheme's) → a challenge without an error code.
  if (!token) throw new AppError('invalid_token', 'an access token is required', { reason: 'no_token' }, { challenge: 'bearer' });
  return verifyAccessToken(deps, token, deps.config.managementAudience);
}

/** Requires a valid access token for the management audience; its claims land in res.locals.claims. */
export function bearerAuth(deps: VerificationDeps): RequestHandler {
  return async (req, res, next) => {
    res.locals.claims = await verifyManagementBearer(deps, req.get('authorization'));
    next();
  };
}

/** 403 insufficient_scope unless the token holds every listed scope (RFC 6750 §3.1). */
export function requireScopes(...scopes: string[]): RequestHandler {
  return (_req, res, next) => {
    const claims = res.locals.claims;
    if (!claims) throw new TypeError('requireScopes used without bearerAuth');
    if (!hasScopes(claims.scopes, scopes)) {
      throw new AppError('insufficient_scope', `this call requires scope "${scopes.join(' ')}"`, undefined, {
        requiredScope: scopes.join(' '),
      });
    }
    next();
  };
}
