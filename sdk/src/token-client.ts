import { ScopeAuthError } from './errors.js';
import { withRetry } from './retry.js';
import { resolveClientOptions, type ResolvedClientOptions, type TokenClientOptions } from './token-client-options.js';
import { attemptExchange, type TokenResponse } from './token-exchange.js';
import { warnIfInsecure } from './url.js';

type CachedToken = {
  accessToken: string;
  scope: string;
  /** Local times (our clock), so that skew with the server's clock does not matter. */
  expiresAtMs: number;
  refreshAtMs: number;
};

/** One exchange in flight, shared by every caller that arrives while it runs. */
type Flight = {
  done: Promise<CachedToken>;
  /** Resolves at the first failed attempt: callers holding a still-valid token stop waiting then. */
  firstFailure: Promise<undefined>;
};

/**
 * Exchanges an API key for access tokens and keeps one cached, refreshed `tokenRefreshBuffer`
 * seconds before it expires. Safe to share across a whole process.
 */
export class TokenClient {
  readonly #o: ResolvedClientOptions;
  readonly #abort = new AbortController();
  #current: CachedToken | undefined;
  #flight: Flight | undefined;
  /** After a failed refresh, callers with a still-valid token do not start another before this time. */
  #retryNotBeforeMs = 0;
  /** Until the `Retry-After` of the last failure has passed, callers without a token get that failure, not a new request. */
  #backOff: { untilMs: number; error: ScopeAuthError } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TokenClientOptions = {}) {
    this.#o = resolveClientOptions(options);
    warnIfInsecure({ authUrl: this.#o.tokenUrl });
    if (this.#o.backgroundRefresh) this.#schedule(0);
  }

  /**
   * A valid access token: the cached one, or a new one when the cached one is within the refresh buffer.
   * While a refresh fails, a token that has not expired yet is still returned.
   * @throws ScopeAuthError when there is no valid token and the exchange fails.
   */
  async getToken(): Promise<string> {
    this.#assertOpen();
    const now = this.#o.clock.now();
    const cur = this.#current;
    if (cur && now < cur.refreshAtMs) return cur.accessToken;
    if (cur && now < cur.expiresAtMs) {
      if (!this.#flight && now < this.#retryNotBeforeMs) return cur.accessToken;
      const flight = this.#refresh();
      const fresh = await Promise.race([flight.done, flight.firstFailure]).catch(() => undefined);
      return (fresh ?? cur).accessToken;
    }
    this.#assertNotBackingOff(now);
    return (await this.#refresh().done).accessToken;
  }

  /**
   * `fetch` with `Authorization: Bearer <token>`. On a 401 from the resource it forces one refresh
   * and retries once, unless the request body is a stream (which cannot be sent twice). If that
   * refresh is refused (`invalid_client`: the key was revoked or expired), it throws that error
   * rather than answer with the resource's 401.
   */
  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const token = await this.getToken();
    const res = await this.#o.fetch(input, withBearer(init, token));
    if (res.status !== 401 || !isReplayable(init.body)) return res;
    let fresh: string;
    try {
      fresh = await this.#forceRefresh(token);
    } catch (err) {
      // The key itself was refused (revoked, expired, wrong secret): say so, not the resource's 401.
      if (err instanceof ScopeAuthError && err.status !== undefined && err.status >= 400 && err.status < 500 && err.code !== 'rate_limited')
        throw err;
      return res;
    }
    await res.body?.cancel().catch(() => undefined);
    return this.#o.fetch(input, withBearer(init, fresh));
  }

  /** Stops background refresh and abandons an exchange in flight. The client cannot be used afterwards. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort(new TypeError('TokenClient was closed'));
  }

  /** Replaces `rejected` unless someone already did; concurrent 401s share one exchange. */
  async #forceRefresh(rejected: string): Promise<string> {
    if (!this.#flight && this.#current && this.#current.accessToken !== rejected) return this.#current.accessToken;
    this.#assertNotBackingOff(this.#o.clock.now());
    return (await this.#refresh().done).accessToken;
  }

  #refresh(): Flight {
    if (this.#flight) return this.#flight;
    let markFailed!: () => void;
    const firstFailure = new Promise<undefined>((resolve) => (markFailed = () => resolve(undefined)));
    const { fetch, tokenUrl, request, retry, clock } = this.#o;
    const done = withRetry((signal) => attemptExchange(fetch, tokenUrl, request, signal, () => clock.now()), retry, clock, {
      onAttemptFailed: () => markFailed(),
      signal: this.#abort.signal,
    })
      .then((res) => this.#store(res))
      .catch((err: unknown) => {
        const now = clock.now();
        // A refusal that said when to come back (Retry-After on a 429, or a 503 past the retry budget).
        const refusal = err instanceof ScopeAuthError && err.retryAfterSeconds ? err : undefined;
        const retryAfterMs = (refusal?.retryAfterSeconds ?? 0) * 1000;
        this.#retryNotBeforeMs = now + Math.max(retry.maxDelayMs, retryAfterMs);
        this.#backOff = refusal && { untilMs: now + retryAfterMs, error: refusal };
        markFailed();
        throw err;
      })
      .finally(() => {
        this.#flight = undefined;
      });
    // Callers holding a valid token may have stopped listening: a failure here is not unhandled.
    done.catch(() => undefined);
    this.#flight = { done, firstFailure };
    return this.#flight;
  }

  #store(res: TokenResponse): CachedToken {
    const receivedAtMs = this.#o.clock.now();
    const lifetimeMs = res.expiresInSeconds * 1000;
    // A buffer as long as the lifetime would make every call an exchange: then refresh at half of it.
    const configuredMs = this.#o.refreshBufferSeconds * 1000;
    const bufferMs = configuredMs < lifetimeMs ? configuredMs : lifetimeMs / 2;
    const token = {
      accessToken: res.accessToken,
      scope: res.scope,
      expiresAtMs: receivedAtMs + lifetimeMs,
      refreshAtMs: receivedAtMs + lifetimeMs - bufferMs,
    };
    this.#current = token;
    this.#backOff = undefined;
    if (this.#o.backgroundRefresh) this.#schedule(token.refreshAtMs - receivedAtMs);
    return token;
  }

  #schedule(delayMs: number): void {
    if (this.#abort.signal.aborted) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        // On failure, try again later; on success #store has scheduled the next refresh.
        this.#refresh().done.catch(() => this.#schedule(this.#retryNotBeforeMs - this.#o.clock.now()));
      },
      Math.max(0, delayMs),
    );
    this.#timer.unref();
  }

  /** The server asked for a pause (`Retry-After`): answer with its refusal until the pause is over. */
  #assertNotBackingOff(now: number): void {
    const backOff = this.#backOff;
    if (!backOff || this.#flight) return;
    if (now >= backOff.untilMs) {
      this.#backOff = undefined;
      return;
    }
    const { code, description, status } = backOff.error;
    throw new ScopeAuthError(code, description, {
      status,
      retryAfterSeconds: Math.ceil((backOff.untilMs - now) / 1000),
      cause: backOff.error,
    });
  }

  #assertOpen(): void {
    if (this.#abort.signal.aborted) throw new TypeError('TokenClient was closed');
  }
}

function withBearer(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

function isReplayable(body: RequestInit['body']): boolean {
  return !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream);
}
