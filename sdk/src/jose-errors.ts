import { errors } from 'jose';
import { ScopeAuthError } from './errors.js';

const CLAIM_DESCRIPTIONS: Record<string, string> = {
  iss: 'token has an unexpected issuer',
  aud: 'token has an unexpected audience',
  typ: 'token is not an access token (typ must be "at+jwt")',
  nbf: 'token is not valid yet',
  iat: 'token has an invalid issued-at time',
};

const INVALID: Record<string, string> = {
  ERR_JOSE_ALG_NOT_ALLOWED: 'token algorithm is not allowed',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'token signature is invalid',
  ERR_JWKS_NO_MATCHING_KEY: 'token was not signed by a key of the issuer',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'token was not signed by a key of the issuer',
  ERR_JWS_INVALID: 'token is malformed',
  ERR_JWT_INVALID: 'token is malformed',
  ERR_JOSE_NOT_SUPPORTED: 'token uses an unsupported algorithm or key',
};

/** jose's error → ScopeAuthError: the caller's fault is 401, a JWKS we could not fetch is 503. */
export function mapJoseError(err: unknown): ScopeAuthError {
  // Already ours: the JWKS cache answers `unavailable` itself.
  if (err instanceof ScopeAuthError) return err;
  const invalid = (description: string) => new ScopeAuthError('invalid_token', description, { status: 401, cause: err });
  if (err instanceof errors.JWTExpired) {
    return new ScopeAuthError('token_expired', 'token has expired', { status: 401, cause: err });
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return invalid(`token has no "${err.claim}" claim`);
    return invalid(CLAIM_DESCRIPTIONS[err.claim] ?? `token "${err.claim}" claim check failed`);
  }
  if (err instanceof errors.JOSEError) {
    const description = INVALID[err.code];
    if (description) return invalid(description);
  }
  // Anything else (e.g. a published key jose cannot import) is the issuer's keys failing us, not the caller.
  return new ScopeAuthError('unavailable', 'could not fetch the issuer signing keys', { status: 503, cause: err });
}
