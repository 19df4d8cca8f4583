import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { isRevoked, type RevocationLookupDeps } from './revocation/memory.js';
import type { Keyring } from './signing-keys.js';

export type AccessClaims = {
  sub: string;
  clientId: string;
  orgId: string;
  scopes: string[];
  aud: string[];
  env: string;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
};

export type VerificationDeps = RevocationLookupDeps & { config: Config; clock: Clock; keyring: Keyring };

/** Every algorithm SIGNING_ALG can choose, so tokens of keys made under an earlier setting still verify. */
const ALGORITHMS = ['ES256', 'EdDSA', 'RS256'];
/** One bound for every verifier of ours (and the SDK's); key limits keep every issued token within it. */
export const MAX_TOKEN_LENGTH = 8_192;
let jwksCache: { etag: string; getKey: JWTVerifyGetKey } | undefined;

function localKeys(keyring: Keyring): JWTVerifyGetKey {
  const { body, etag } = keyring.jwks();
  if (jwksCache?.etag !== etag) jwksCache = { etag, getKey: createLocalJWKSet(JSON.parse(body) as JSONWebKeySet) };
  return jwksCache.getKey;
}

const invalid = (description: string, reason: string) => new AppError('invalid_token', description, { reason });

/**
 * Verifies one of our own access tokens: signature against our published keys, `typ`, issuer,
 * audience, lifetime, then revocation. Every failure is `invalid_token`.
 */
export async function verifyAccessToken(deps: VerificationDeps, token: string, audience?: string): Promise<AccessClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw invalid('token is too long', 'oversized');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, localKeys(deps.keyring), {
      issuer: deps.config.issuer,
      audience,
      typ: 'at+jwt',
      algorithms: ALGORITHMS,
      currentDate: new Date(deps.clock.now()),
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw invalid('token has expired', 'expired');
    if (err instanceof joseErrors.JOSEError) throw invalid('token is invalid', err.code);
    throw err;
  }
  const { sub, iat, exp, jti, iss } = payload as { sub: string; iat: number; exp: number; jti: string; iss: string };
  const orgId = payload.org_id;
  const scope = payload.scope;
  if (typeof orgId !== 'string' || typeof scope !== 'string' || typeof jti !== 'string') throw invalid('token is invalid', 'claims');
  if (await isRevoked(deps, { sub, jti })) throw invalid('token has been revoked', 'revoked');
  const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  return {
    sub,
    clientId: typeof payload.client_id === 'string' ? payload.client_id : sub,
    orgId,
    scopes: scope.split(' ').filter(Boolean),
    aud,
    env: typeof payload.env === 'string' ? payload.env : 'live',
    jti,
    iat,
    exp,
    iss,
  };
}
