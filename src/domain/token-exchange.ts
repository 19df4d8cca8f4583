import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { AppError, clientAuthFailed } from '../errors.js';
import { checkSecretFormat, hashSecret, verifySecret } from '../crypto/secrets.js';
import { signAccessToken } from '../crypto/tokens.js';
import { isId, newTokenId } from '../ids.js';
import type { Logger } from '../log.js';
import { keyStatus, loadKey, type KeyLookupDeps, type KeyRecord } from './api-keys.js';
import type { AuditLog, RequestContext } from './audit.js';
import type { LastUsedTracker } from './last-used.js';
import type { UsageCounter } from './usage.js';
import { narrowGrant, parseScopeParam } from './scopes.js';
import type { Keyring } from './signing-keys.js';
import { ipAllowed } from './cidr.js';
import { MAX_TOKEN_LENGTH } from './token-verification.js';
import { inSpan, tracing } from '../tracing.js';

export type ExchangeRequest = {
  orgId?: string;
  keyId: string;
  secret: string;
  scope?: string;
  audience?: string;
  context: RequestContext;
};

export type ExchangeResult = { accessToken: string; expiresIn: number; scope: string; keyId: string; orgId: string };

export type ExchangeDeps = KeyLookupDeps & {
  config: Config;
  clock: Clock;
  log: Logger;
  keyring: Keyring;
  audit: AuditLog;
  lastUsed: LastUsedTracker;
  usage: UsageCounter;
};

// Compared against when no key was found, so an unknown key costs the same HMAC and comparison.
let dummyHash: Buffer | undefined;

/** Why a presented credential is refused; never shown to the caller, only audited. */
function refusalReason(key: KeyRecord | undefined, secretOk: boolean, req: ExchangeRequest, nowMs: number): string | undefined {
  if (!key) return 'unknown_key';
  if (!secretOk) return 'wrong_secret';
  const status = keyStatus(key, nowMs);
  if (status !== 'active') return status; // 'revoked' | 'expired'
  // exp and iat are whole seconds: in its last fraction of a second a key could only give a token
  // with exp = iat (expires_in 0), so it counts as expired already.
  if (key.expiresAt && Math.floor(key.expiresAt.getTime() / 1000) <= Math.floor(nowMs / 1000)) return 'expired';
  if (req.orgId !== undefined && req.orgId !== key.orgId) return 'org_mismatch';
  if (!ipAllowed(key.allowedCidrs, req.context.ip)) return 'ip_not_allowed';
  return undefined;
}

export type ClientAuthRequest = Pick<ExchangeRequest, 'orgId' | 'keyId' | 'secret' | 'context'>;

/**
 * Checks a key's credentials. Every failure (unknown key, wrong secret, revoked, expired, org
 * mismatch, address outside the allowlist) is the same invalid_client after the same work;
 * the real reason goes to the audit log.
 */
export async function authenticateKey(
  deps: ExchangeDeps,
  req: ClientAuthRequest,
  nowMs = deps.clock.now(),
  /** Count a refusal in the key's usage (exchanges do; introspection and RFC 7009 calls do not). */
  countUsage = false,
): Promise<KeyRecord> {
  const { config } = deps;
  dummyHash ??= hashSecret(config.secretPepper, 'sk_live_dummy');

  const wellFormed = checkSecretFormat(req.secret) !== undefined;
  const key = wellFormed && isId('key', req.keyId) ? await loadKey(deps, req.keyId) : undefined;
  // Always run the comparison, whatever happened above: every failure takes the same path.
  const secretOk = verifySecret(config.secretPepper, req.secret, key?.secretHash ?? dummyHash) && key !== undefined;
  const reason = wellFormed ? refusalReason(key, secretOk, req, nowMs) : 'malformed_secret';
  if (reason === undefined && key) return key;

  const why = reason ?? 'unknown_key';
  // Per-key usage only for keys that exist: a stranger's made-up IDs must not grow the table.
  if (key && countUsage) deps.usage.record(key, why, nowMs);
  // Only a well-formed key ID is echoed into the audit log and the error detail (which is logged):
  // anything else may be a secret pasted in the wrong place, or bytes Postgres cannot store.
  const named = isId('key', req.keyId);
  deps.audit.enqueue({
    orgId: key?.orgId ?? null,
    action: 'exchange.rejected',
    actor: { type: 'anonymous', id: null },
    ...(named ? { target: { type: 'key', id: req.keyId } } : {}),
    context: req.context,
    detail: named ? { reason: why } : { reason: why, key_id_malformed: true },
  });
  throw clientAuthFailed(why, named ? { keyId: req.keyId } : { key_id_malformed: true });
}

/** Turns an API key into a signed access token (RFC 9068), or fails with the uniform invalid_client. */
export function exchangeKey(
  deps: ExchangeDeps,
  req: ExchangeRequest,
  /** Runs once the credentials are verified, before anything is signed: the caller's own limits may refuse here. */
  onAuthenticated?: (keyId: string) => void,
): Promise<ExchangeResult> {
  if (!tracing.on) return exchange(deps, req, onAuthenticated);
  // IDs, scope and outcome only: never the secret, the token or its jti.
  const named = isId('key', req.keyId) ? { 'scope_auth.key_id': req.keyId } : {};
  return inSpan('token.exchange', named, async (span) => {
    const result = await exchange(deps, req, onAuthenticated);
    span.setAttributes({ 'scope_auth.org_id': result.orgId, 'scope_auth.scope': result.scope, 'scope_auth.outcome': 'issued' });
    return result;
  });
}

async function exchange(deps: ExchangeDeps, req: ExchangeRequest, onAuthenticated?: (keyId: string) => void): Promise<ExchangeResult> {
  const { config, clock } = deps;
  // One instant for the checks and the claims: the key is valid at iat, and exp > iat.
  const nowMs = clock.now();
  const key = await authenticateKey(deps, req, nowMs, true);
  try {
    onAuthenticated?.(key.id);
  } catch (err) {
    // The key's own limit refused it: its usage says so.
    deps.usage.record(key, err instanceof AppError ? err.code : 'refused', nowMs);
    throw err;
  }
  const grant = narrowGrant(key, { scopes: parseScopeParam(req.scope), audience: req.audience }, config.defaultAudience);
  const iat = Math.floor(nowMs / 1000);
  // Never outlive the key: a token from a key expiring in 2 minutes lasts 2 minutes.
  const keyExpiry = key.expiresAt ? Math.floor(key.expiresAt.getTime() / 1000) : Infinity;
  const exp = Math.min(iat + config.tokenTtlSeconds, keyExpiry);
  const scope = grant.scopes.join(' ');
  const jti = newTokenId(nowMs);
  const accessToken = await signAccessToken(
    {
      iss: config.issuer,
      sub: key.id,
      client_id: key.id,
      org_id: key.orgId,
      aud: grant.audience,
      scope,
      env: key.environment,
      iat,
      exp,
      jti,
    },
    deps.keyring.activeKey(nowMs),
  );
  // Key limits keep tokens within the bound; a key stored before them could still exceed it.
  if (accessToken.length > MAX_TOKEN_LENGTH) {
    throw new AppError(
      'invalid_scope',
      `the token would be longer than ${MAX_TOKEN_LENGTH} characters: request fewer scopes or one audience`,
    );
  }
  deps.lastUsed.touch(key.id, nowMs);
  deps.usage.record(key, 'issued', nowMs);
  if (key.logExchanges) {
    // Batched with the other audit writes; the token itself is never recorded, its jti is.
    deps.audit.enqueue({
      orgId: key.orgId,
      action: 'exchange.succeeded',
      actor: { type: 'key', id: key.id },
      target: { type: 'key', id: key.id },
      context: req.context,
      detail: { scope, audience: grant.audience, jti },
    });
  }
  deps.log.debug({ keyId: key.id, orgId: key.orgId, scope }, 'token.issued');
  return { accessToken, expiresIn: exp - iat, scope, keyId: key.id, orgId: key.orgId };
}
