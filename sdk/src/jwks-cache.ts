import { createLocalJWKSet, errors, type CryptoKey, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';
import type { Clock } from './clock.js';
import { ScopeAuthError } from './errors.js';
import type { FetchLike } from './token-exchange.js';

/** Lifetime of a JWKS whose answer names none (no `Cache-Control: max-age`). */
const DEFAULT_MAX_AGE_MS = 5 * 60_000;
/** A longer `max-age` is cut to this: a withdrawn key must not outlive a day in any verifier. */
const MAX_MAX_AGE_MS = 24 * 3_600_000;
/** While the service cannot be reached, a set past its max-age is still used for this long, then never. */
const STALE_IF_ERROR_MS = 5 * 60_000;
/** An unknown `kid` refetches the set at most once per this: forged kids cannot make us hammer the service. */
const UNKNOWN_KID_COOLDOWN_MS = 30_000;
/** No fetch starts sooner than this after the previous one, whatever the cause (no-store, kids, failures). */
const MIN_FETCH_INTERVAL_MS = 1_000;
const FETCH_TIMEOUT_MS = 5_000;
const ACCEPT = 'application/jwk-set+json, application/json';

type LocalSet = ReturnType<typeof createLocalJWKSet>;
type CachedSet = { local: LocalSet; kids: ReadonlySet<string>; etag: string | undefined; maxAgeMs: number; freshUntilMs: number };

export type JwksCache = {
  /** jose's key resolver (`jwtVerify(token, cache.getKey, …)`): jose picks the key and checks the signature. */
  getKey: (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;
  /**
   * Whether `kid` is in the set and the set is fresh: what lets a token verified earlier skip the
   * signature check. A stale set answers false, so the caller verifies in full (and refetches).
   */
  isCurrentKey(kid: string, nowMs: number): boolean;
  /** Fetches the set now (used by `ready()`); rejects when it cannot. */
  reload(): Promise<void>;
  close(): void;
};

/**
 * The issuer's JWKS, cached the way its `Cache-Control` says (jose's remote set keeps a fixed
 * 10 minutes, so a withdrawn signing key outlived a short `JWKS_MAX_AGE_SECONDS`). Revalidates with
 * `If-None-Match`; `no-store`/`no-cache` mean revalidate on every use (at most once a second).
 * Key selection and signature checks stay with jose's `createLocalJWKSet`.
 */
export function createJwksCache(o: { url: string; clock: Clock; fetch?: FetchLike }): JwksCache {
  const fetchImpl: FetchLike = o.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const { clock } = o;
  const closing = new AbortController();
  let cached: CachedSet | undefined;
  let inflight: Promise<void> | undefined;
  let lastAttemptMs = -Infinity;
  let lastKidRefetchMs = -Infinity;
  let failing = false;
  let lastError: unknown;

  async function fetchSet(): Promise<void> {
    const startedMs = clock.now();
    lastAttemptMs = startedMs;
    const headers: Record<string, string> = { accept: ACCEPT };
    if (cached?.etag) headers['if-none-match'] = cached.etag;
    const res = await fetchImpl(o.url, {
      headers,
      redirect: 'manual',
      signal: AbortSignal.any([closing.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
    });
    if (res.status === 304 && cached) {
      await res.body?.cancel().catch(() => undefined);
      // RFC 9111 §4.3.4: a 304's own Cache-Control replaces the stored one.
      const maxAgeMs = res.headers.has('cache-control') ? readMaxAgeMs(res.headers) : cached.maxAgeMs;
      cached = { ...cached, maxAgeMs, freshUntilMs: freshUntil(startedMs, maxAgeMs, res.headers) };
      return;
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`JWKS answered HTTP ${res.status}`);
    }
    const body: unknown = await res.json();
    const local = createLocalJWKSet(body as JSONWebKeySet); // checks the shape itself: throws on anything but a JWK set
    const kids = new Set((body as JSONWebKeySet).keys.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : [])));
    const maxAgeMs = readMaxAgeMs(res.headers);
    cached = {
      local,
      kids,
      etag: res.headers.get('etag') ?? undefined,
      maxAgeMs,
      freshUntilMs: freshUntil(startedMs, maxAgeMs, res.headers),
    };
  }

  /** One fetch at a time, shared by every caller that arrives while it runs. */
  function refresh(): Promise<void> {
    inflight ??= fetchSet()
      .then(() => {
        failing = false;
      })
      .catch((err: unknown) => {
        failing = true;
        lastError = err;
        throw err;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  /** Fetches unless one ran less than a second ago; a failure is remembered, not thrown. */
  async function revalidate(nowMs: number): Promise<void> {
    if (!inflight && nowMs - lastAttemptMs < MIN_FETCH_INTERVAL_MS) return;
    await refresh().catch(() => undefined);
  }

  /** The set to verify with now: fresh, or stale within the window while the service fails. */
  async function currentSet(nowMs: number): Promise<{ set: CachedSet; refreshed: boolean }> {
    if (cached && nowMs < cached.freshUntilMs) return { set: cached, refreshed: false };
    if (cached && failing && nowMs < cached.freshUntilMs + STALE_IF_ERROR_MS) {
      // Already failing: try again in the background instead of holding every call up to the timeout.
      void revalidate(nowMs);
      return { set: cached, refreshed: false };
    }
    await revalidate(nowMs);
    // Fresh after a fetch, just revalidated (no-store within the second), or stale within the window.
    if (cached && clock.now() < cached.freshUntilMs + STALE_IF_ERROR_MS) return { set: cached, refreshed: true };
    throw new ScopeAuthError('unavailable', 'could not fetch the issuer signing keys', { status: 503, cause: lastError });
  }

  return {
    async getKey(header, token) {
      const nowMs = clock.now();
      const { set, refreshed } = await currentSet(nowMs);
      try {
        return await set.local(header, token);
      } catch (err) {
        // A kid we do not know may have been published since the last fetch.
        if (!(err instanceof errors.JWKSNoMatchingKey) || refreshed || nowMs - lastKidRefetchMs < UNKNOWN_KID_COOLDOWN_MS) throw err;
        // Only a fetch that runs uses up the cooldown: one the 1 s floor skips would otherwise leave
        // a key published just now unknown for 30 s.
        if (!inflight && nowMs - lastAttemptMs < MIN_FETCH_INTERVAL_MS) throw err;
        lastKidRefetchMs = nowMs;
        await refresh().catch(() => undefined);
        if (!cached) throw err;
        return cached.local(header, token);
      }
    },
    isCurrentKey: (kid, nowMs) => cached !== undefined && nowMs < cached.freshUntilMs && cached.kids.has(kid),
    reload: () => refresh(),
    close: () => closing.abort(),
  };
}

/** RFC 9111 §5.2.2: `no-store`/`no-cache` mean revalidate every time; `max-age` capped at a day; none, 5 minutes. */
export function readMaxAgeMs(headers: Headers): number {
  const value = headers.get('cache-control');
  if (value === null) return DEFAULT_MAX_AGE_MS;
  const directives = value
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache' || d.startsWith('no-cache='))) return 0;
  for (const d of directives) {
    const m = /^max-age\s*=\s*"?(\d+)"?$/.exec(d);
    if (m) return Math.min(Number(m[1]) * 1000, MAX_MAX_AGE_MS);
  }
  return DEFAULT_MAX_AGE_MS;
}

/** RFC 9111 §4.2.3: a shared cache on the way (`Age`) has used up part of the lifetime already. */
function freshUntil(requestedAtMs: number, maxAgeMs: number, headers: Headers): number {
  const age = Number(headers.get('age') ?? 0);
  const ageMs = Number.isFinite(age) && age > 0 ? age * 1000 : 0;
  return requestedAtMs + Math.max(0, maxAgeMs - ageMs);
}
