import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { missingScopes, readClaims, type Claims } from './claims.js';
import { systemClock, type Clock } from './clock.js';
import { ScopeAuthError } from './errors.js';
import { mapJoseError } from './jose-errors.js';
import { createJwksCache } from './jwks-cache.js';
import { VerifiedTokenCache } from './token-cache.js';
import { createHttpSource, type HttpRevocationOptions } from './revocation/http-source.js';
import { RevocationList } from './revocation/list.js';
import { createRedisSource, isRedisRevocation, type RedisRevocationOptions } from './revocation/redis-source.js';
import type { RevocationSource } from './revocation/source.js';
import { assertHttpUrl, endpoint, warnIfInsecure } from './url.js';

/** Where revocations come from: the service's Redis, its HTTP feed and stream, or nowhere (`false`). */
export type RevocationOptions = RedisRevocationOptions | HttpRevocationOptions | false;

export type VerifierOptions = {
  /** Expected `iss`, the service's `ISSUER`. */
  issuer: string;
  /** Expected `aud`: the token must carry (one of) these. */
  audience: string | string[];
  /** Default `{issuer}/.well-known/jwks.json`, or `{authUrl}/.well-known/jwks.json` with `revocation: { authUrl }`. */
  jwksUrl?: string;
  /** Scopes every token must hold. Default none. */
  requiredScopes?: string[];
  /** Seconds of leeway on `exp`, `nbf` and `iat`. Default 5, at most 60 (the service keeps revocation entries 60 s past expiry). */
  clockTolerance?: number;
  /** Accepted `alg` values, asymmetric only. Default `['ES256', 'EdDSA', 'RS256']`: every algorithm the service can sign with. */
  algorithms?: string[];
  /**
   * Tokens already verified that are kept (by the exact token string) so that seeing one again skips
   * the signature check; their expiry, key, revocation and scopes are still checked on every call.
   * Default 10,000 (about 1.5 KB each); 0 turns the cache off.
   */
  cacheSize?: number;
  /** Revocation source. Required, so that going without revocation is a visible choice. */
  revocation: RevocationOptions;
  /** Time source in milliseconds. Default: `Date.now`. */
  clock?: Clock;
};

export type VerifyOptions = {
  /** Scopes this call requires, on top of `requiredScopes`. */
  scopes?: readonly string[];
};

export type Verifier = {
  /**
   * Verifies a bearer token and returns its claims (frozen: calls with the same token share them).
   * @throws ScopeAuthError `invalid_token`, `token_expired`, `token_revoked` (401), `insufficient_scope` (403),
   *   or `unavailable` (503: the JWKS could not be fetched, or the revocation list was not loaded in time
   *   or is older than `maxStalenessSeconds`).
   */
  verify(token: string, options?: VerifyOptions): Promise<Claims>;
  /** Resolves once the revocation list is loaded and the JWKS fetched; rejects with `unavailable` after the ready timeout. */
  ready(): Promise<void>;
  /** Stops the revocation source and its timers. */
  close(): Promise<void>;
};

export const DEFAULT_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'];
const ASYMMETRIC = new Set(['EdDSA', 'Ed25519', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
const DEFAULT_READY_TIMEOUT_MS = 5_000;
const DEFAULT_CACHE_SIZE = 10_000;
const PRUNE_INTERVAL_MS = 60_000;
// Refusing anything longer spares the parser and the signature check a hostile input. The service
// bounds claims so that every token it mints fits, and uses the same bound itself.
const MAX_TOKEN_LENGTH = 8_192;
// The service keeps a revocation entry 60 s past the expiry of the tokens it covers: a token
// accepted later than that could be one whose entry is already gone.
const MAX_CLOCK_TOLERANCE_SECONDS = 60;

/**
 * A verifier for resource services. Verification is local: jose checks the signature against the
 * cached JWKS and the claims; revocation is a lookup in an in-memory list kept current in the background.
 *
 * Until the revocation list has been loaded once, `verify` waits for it (at most the source's
 * `readyTimeoutMs`, default 5 s), then fails closed with `unavailable`: it never accepts a token
 * it could not check.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const o = checkOptions(options);
  const urls: Record<string, string> = { jwksUrl: o.jwksUrl };
  if (o.revocation && 'authUrl' in o.revocation) urls['revocation.authUrl'] = o.revocation.authUrl;
  warnIfInsecure(urls);
  const jwks = createJwksCache({ url: o.jwksUrl, clock: o.clock ?? systemClock });
  const list = new RevocationList();
  const clock = o.clock;
  const source = startSource(o.revocation, list, clock ?? systemClock);
  const readyTimeoutMs = (o.revocation ? o.revocation.readyTimeoutMs : undefined) ?? DEFAULT_READY_TIMEOUT_MS;
  const maxStalenessSeconds = o.revocation ? o.revocation.maxStalenessSeconds : undefined;
  const maxStalenessMs = maxStalenessSeconds === undefined ? undefined : maxStalenessSeconds * 1000;
  const toleranceSeconds = o.clockTolerance;
  const verifyOptions: JWTVerifyOptions = {
    issuer: o.issuer,
    audience: o.audience,
    algorithms: o.algorithms,
    clockTolerance: toleranceSeconds,
    // RFC 9068 §4: the JWT access token type; jose also accepts "application/at+jwt".
    typ: 'at+jwt',
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
  };
  const requiredScopes = o.requiredScopes;
  const verified = new VerifiedTokenCache(o.cacheSize);
  const isCurrentKey = (kid: string) => jwks.isCurrentKey(kid, nowMs(clock));
  let closed = false;

  /** Signature and claims by jose, then the claims jose does not check; a success is remembered. */
  async function verifyInFull(token: string): Promise<Claims> {
    let result;
    try {
      const opts = clock ? { ...verifyOptions, currentDate: new Date(clock.now()) } : verifyOptions;
      result = await jwtVerify(token, jwks.getKey, opts);
    } catch (err) {
      throw mapJoseError(err);
    }
    const claims = Object.freeze(readClaims(result.payload));
    const kid = result.protectedHeader.kid;
    if (typeof kid === 'string') verified.set(token, claims, kid);
    return claims;
  }

  // Keep a revoked entry a little past its expiry: tokens are accepted up to `clockTolerance` late.
  const prune = setInterval(() => {
    list.prune(nowSeconds(clock) - toleranceSeconds - 60);
    verified.prune(nowSeconds(clock), toleranceSeconds);
  }, PRUNE_INTERVAL_MS);
  prune.unref();

  async function waitForList(): Promise<void> {
    if (!source || source.isLoaded()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        // The description may reach a resource's callers (a 503 body): where and why stay in `cause`.
        () => reject(new ScopeAuthError('unavailable', 'revocation list not loaded yet', { status: 503, cause: source.lastError() })),
        readyTimeoutMs,
      );
    });
    try {
      await Promise.race([source.loaded, timeout]);
    } catch (err) {
      if (err instanceof ScopeAuthError) throw err;
      throw new ScopeAuthError('unavailable', 'revocation source cannot load', { status: 503, cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async verify(token, callOptions) {
      if (closed) throw new TypeError('verifier was closed');
      if (typeof token !== 'string' || token.length === 0) {
        throw new ScopeAuthError('invalid_token', 'token is empty', { status: 401 });
      }
      if (token.length > MAX_TOKEN_LENGTH) throw new ScopeAuthError('invalid_token', 'token is too long', { status: 401 });
      const claims = verified.get(token, nowSeconds(clock), toleranceSeconds, isCurrentKey) ?? (await verifyInFull(token));
      if (source) {
        // Once the list is loaded (every call but the first few), no promise and no extra tick.
        if (!source.isLoaded()) await waitForList();
        if (maxStalenessMs !== undefined && nowMs(clock) - source.confirmedAtMs() > maxStalenessMs) {
          throw new ScopeAuthError('unavailable', 'revocation list is stale (no confirmation from its source within maxStalenessSeconds)', {
            status: 503,
          });
        }
      }
      if (list.isRevoked(claims.sub, claims.jti)) {
        throw new ScopeAuthError('token_revoked', 'token has been revoked', { status: 401 });
      }
      const extra = callOptions?.scopes;
      const required = extra && extra.length > 0 ? [...requiredScopes, ...extra] : requiredScopes;
      const missing = missingScopes(claims.scope, required);
      if (missing.length > 0) {
        throw new ScopeAuthError('insufficient_scope', `token lacks scope "${missing.join(' ')}"`, {
          status: 403,
          scope: required.join(' '),
        });
      }
      return claims;
    },

    async ready() {
      try {
        await Promise.all([waitForList(), jwks.reload().catch(() => undefined)]);
      } catch (err) {
        // ready() answers the operator at start-up: name what could not be reached, and why.
        const cause = err instanceof ScopeAuthError && err.cause instanceof Error ? err.cause : undefined;
        if (!cause || !(err instanceof ScopeAuthError)) throw err;
        throw new ScopeAuthError(err.code, `${err.description} within ${readyTimeoutMs} ms: ${cause.message}`, {
          status: err.status,
          cause,
        });
      }
    },

    async close() {
      closed = true;
      clearInterval(prune);
      jwks.close();
      await source?.close();
    },
  };
}

function startSource(revocation: RevocationOptions, list: RevocationList, clock: Clock): RevocationSource | undefined {
  if (revocation === false) return undefined;
  if (isRedisRevocation(revocation)) return createRedisSource(revocation, list, clock);
  return createHttpSource(revocation, list, clock);
}

type CheckedOptions = Required<Omit<VerifierOptions, 'clock'>> & { clock?: Clock };

function checkOptions(options: VerifierOptions): CheckedOptions {
  // Checked at run time too: JavaScript callers get no compiler to catch a missing option.
  const { issuer } = options;
  const audience = options.audience as VerifierOptions['audience'] | undefined;
  const revocation = options.revocation as RevocationOptions | undefined;
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError('issuer is required');
  if (audience === undefined || (Array.isArray(audience) && audience.length === 0) || audience === '') {
    throw new TypeError('audience is required');
  }
  if (revocation === undefined) {
    throw new TypeError('revocation is required: { redisUrl }, { authUrl }, or false to go without revocation checks');
  }
  if (revocation !== false && !isRedisRevocation(revocation) && !('authUrl' in revocation)) {
    throw new TypeError(
      'revocation must be { redisUrl }, { redisSentinels, redisSentinelName }, { redisClusterNodes }, { authUrl } or false',
    );
  }
  if (revocation && 'authUrl' in revocation) assertHttpUrl(revocation.authUrl, 'revocation.authUrl');
  const staleness = revocation ? revocation.maxStalenessSeconds : undefined;
  if (staleness !== undefined && !(Number.isFinite(staleness) && staleness > 0)) {
    throw new TypeError('revocation.maxStalenessSeconds must be a positive number of seconds');
  }
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  // Never "none", never HMAC: an HS256 token "signed" with the public key is the classic confusion attack.
  for (const alg of algorithms) if (!ASYMMETRIC.has(alg)) throw new TypeError(`algorithm "${alg}" is not allowed`);
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0)
    throw new TypeError('clockTolerance must be a non-negative number of seconds');
  if (clockTolerance > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new TypeError(
      `clockTolerance must be at most ${MAX_CLOCK_TOLERANCE_SECONDS} seconds: the service drops a revocation entry ${MAX_CLOCK_TOLERANCE_SECONDS} s after its tokens expire, so a longer tolerance could accept a revoked token`,
    );
  }
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) throw new TypeError('cacheSize must be a non-negative integer');
  const base = revocation && 'authUrl' in revocation ? revocation.authUrl : issuer;
  return {
    issuer,
    audience,
    jwksUrl: assertHttpUrl(options.jwksUrl ?? endpoint(base, '/.well-known/jwks.json'), 'jwksUrl'),
    requiredScopes: options.requiredScopes ?? [],
    cacheSize,
    clockTolerance,
    algorithms,
    revocation,
    ...(options.clock ? { clock: options.clock } : {}),
  };
}

function nowMs(clock: Clock | undefined): number {
  return clock ? clock.now() : Date.now();
}

function nowSeconds(clock: Clock | undefined): number {
  return Math.floor(nowMs(clock) / 1000);
}
