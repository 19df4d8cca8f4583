import { AppError } from '../errors.js';
import { insertTokenRevocation } from '../storage/revocations.js';
import type { RequestContext } from './audit.js';
import type { ManagementDeps } from './key-management.js';
import { REVOCATION_SKEW_SECONDS, propagateRevocation } from './revocation/propagation.js';
import { verifyAccessToken, type AccessClaims, type VerificationDeps } from './token-verification.js';

export type IntrospectionResult = { active: false } | ({ active: true } & Record<string, unknown>);

/** RFC 7662: claims of an active token of the caller's org; anything else is just `active: false`. */
export async function introspectToken(deps: VerificationDeps, callerOrgId: string, token: string): Promise<IntrospectionResult> {
  let claims: AccessClaims;
  try {
    claims = await verifyAccessToken(deps, token);
  } catch (err) {
    if (err instanceof AppError && err.code === 'invalid_token') return { active: false };
    throw err;
  }
  // §2.2: a token the caller may not see is reported exactly like an invalid one.
  if (claims.orgId !== callerOrgId) return { active: false };
  return {
    active: true,
    scope: claims.scopes.join(' '),
    client_id: claims.clientId,
    sub: claims.sub,
    aud: claims.aud.length === 1 ? claims.aud[0] : claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: 'Bearer',
    org_id: claims.orgId,
    env: claims.env,
  };
}

/** The caller of POST /oauth/revoke: the key that owns the token, or an org admin (keys:write). */
export type RevokingCaller = { orgId: string; keyId: string; admin: boolean; context: RequestContext };

/** RFC 7009: revokes one token by its `jti`. Invalid, expired or already revoked tokens are a no-op. */
export async function revokeToken(deps: ManagementDeps & VerificationDeps, caller: RevokingCaller, token: string): Promise<void> {
  let claims: AccessClaims;
  try {
    claims = await verifyAccessToken(deps, token);
  } catch (err) {
    // §2.2: an invalid token is answered like a revoked one, with 200.
    if (err instanceof AppError && err.code === 'invalid_token') return;
    throw err;
  }
  // §2.2 again: another org's token is answered like an invalid one, so the answer says nothing
  // about whether it is valid (a 400 here was a cross-org oracle, issue 16 point 14).
  if (claims.orgId !== caller.orgId) return;
  // Within the org, a key that is not an admin may revoke only its own tokens.
  if (!caller.admin && claims.sub !== caller.keyId)
    throw new AppError('invalid_request', 'this token was not issued to the authenticated client');

  const entry = await deps.db.transaction(async (trx) => {
    const e = await insertTokenRevocation(trx, {
      orgId: claims.orgId,
      keyId: claims.sub,
      jti: claims.jti,
      revokedAt: Math.ceil(deps.clock.now() / 1000),
      expiresAt: claims.exp + REVOCATION_SKEW_SECONDS,
    });
    await deps.audit.write(trx, {
      orgId: claims.orgId,
      action: 'token.revoked',
      actor: { type: 'key', id: caller.keyId },
      target: { type: 'token', id: claims.jti },
      context: caller.context,
      detail: { key_id: claims.sub },
    });
    return e;
  });
  await propagateRevocation(deps, entry);
}
