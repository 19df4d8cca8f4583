import { systemClock, type Clock } from './clock.js';
import { resolveRetryPolicy, type RetryOptions, type RetryPolicy } from './retry.js';
import type { ExchangeRequest, FetchLike } from './token-exchange.js';
import { assertHttpUrl, endpoint } from './url.js';

export type TokenClientOptions = {
  /** Organisation ID (`org_…`). Default: `SCOPE_ORG_ID`. */
  orgId?: string;
  /** API key ID (`key_…`). Default: `SCOPE_API_KEY`. */
  apiKey?: string;
  /** API key secret (`sk_live_…` / `sk_test_…`). Default: `SCOPE_API_SECRET`. */
  apiSecret?: string;
  /** Base URL of the auth service, e.g. `https://auth.example.com`. Default: `SCOPE_AUTH_API_URL`. */
  authUrl?: string;
  /**
   * Seconds before expiry at which a new token is fetched. Default 60. A buffer as long as the
   * token's lifetime or longer would fetch on every call: such tokens are refreshed at half their lifetime.
   */
  tokenRefreshBuffer?: number;
  /** Scopes to ask for (narrowing the key's scopes): space-separated or an array. Default: all of the key's. */
  scope?: string | string[];
  /** Audience to ask for (one of the key's). Default: the key's default audience. */
  audience?: string;
  /** fetch implementation, for both the token endpoint and `client.fetch`. Default: `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Time source in milliseconds. Default: `Date.now`. */
  clock?: Clock;
  /** Retries of the token exchange (network errors, timeouts, 5xx; never a 4xx). */
  retry?: RetryOptions;
  /** Keep the token warm with a timer (unref'd) instead of refreshing on demand. Default false. */
  backgroundRefresh?: boolean;
};

export type ResolvedClientOptions = {
  tokenUrl: string;
  request: ExchangeRequest;
  refreshBufferSeconds: number;
  fetch: FetchLike;
  clock: Clock;
  retry: RetryPolicy;
  backgroundRefresh: boolean;
};

export const DEFAULT_REFRESH_BUFFER_SECONDS = 60;

const ENV = {
  orgId: 'SCOPE_ORG_ID',
  apiKey: 'SCOPE_API_KEY',
  apiSecret: 'SCOPE_API_SECRET',
  authUrl: 'SCOPE_AUTH_API_URL',
} as const;

/** Options win over the environment; a setting missing from both is a TypeError naming both places. */
export function resolveClientOptions(
  options: TokenClientOptions,
  env: Record<string, string | undefined> = process.env,
): ResolvedClientOptions {
  const pick = (name: keyof typeof ENV): string => {
    const value = options[name] ?? env[ENV[name]];
    if (value === undefined || value.trim() === '') {
      throw new TypeError(`scope-auth: ${name} is missing: pass options.${name} or set the ${ENV[name]} environment variable`);
    }
    return value.trim();
  };
  const authUrl = assertHttpUrl(pick('authUrl'), 'authUrl');
  const buffer = options.tokenRefreshBuffer ?? DEFAULT_REFRESH_BUFFER_SECONDS;
  if (!Number.isFinite(buffer) || buffer < 0) throw new TypeError('tokenRefreshBuffer must be a non-negative number of seconds');
  const scope = Array.isArray(options.scope) ? options.scope.join(' ') : options.scope;
  if (options.fetch === undefined && typeof globalThis.fetch !== 'function')
    throw new TypeError('no fetch implementation: pass options.fetch');
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  return {
    tokenUrl: endpoint(authUrl, '/v1/token'),
    request: {
      orgId: pick('orgId'),
      apiKey: pick('apiKey'),
      apiSecret: pick('apiSecret'),
      ...(scope ? { scope } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
    },
    refreshBufferSeconds: buffer,
    fetch: fetchImpl,
    clock: options.clock ?? systemClock,
    retry: resolveRetryPolicy(options.retry),
    backgroundRefresh: options.backgroundRefresh ?? false,
  };
}
