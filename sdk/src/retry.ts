import type { Clock } from './clock.js';
import { ScopeAuthError } from './errors.js';

export type RetryOptions = {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts?: number;
  /** Backoff base: the n-th retry waits a random time in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))). Default 200. */
  baseDelayMs?: number;
  /** Upper bound of one backoff wait. Default 5000. */
  maxDelayMs?: number;
  /** No retry starts once this much time has passed since the first attempt (waits included). Default 30000. */
  maxTotalMs?: number;
  /** One attempt is abandoned (and counts as a network error) after this long. Default 10000. */
  attemptTimeoutMs?: number;
};

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxTotalMs: 30_000,
  attemptTimeoutMs: 10_000,
};

/** A `Retry-After` longer than this is treated as this long (a misconfigured server must not park us for hours). */
export const MAX_RETRY_AFTER_MS = 60_000;

export function resolveRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...stripUndefined(options) };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`retry.${name} must be a non-negative number`);
  }
  if (policy.maxAttempts < 1) throw new TypeError('retry.maxAttempts must be at least 1');
  return policy;
}

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): spreads retries of many clients apart. */
export function backoffDelayMs(retryNumber: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/** RFC 9110 §10.2.3: `Retry-After` is delay-seconds or an HTTP-date. Returns milliseconds, capped. */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : httpDateMs(trimmed) - nowMs;
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** An HTTP date (always has a weekday or month name), else NaN: `Date.parse('-3')` would be a year. */
function httpDateMs(text: string): number {
  return /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
}

export type AttemptOutcome<T> = { ok: true; value: T } | { ok: false; error: ScopeAuthError; retryable: boolean; retryAfterMs?: number };

export type RetryHooks = {
  /** Called after every failed attempt, retried or not. */
  onAttemptFailed?(error: ScopeAuthError): void;
  /** Aborts the waits between attempts (and is handed to each attempt). */
  signal?: AbortSignal;
};

/**
 * Runs `attempt` until it succeeds, fails for good, or the policy's attempts or total time run out.
 * `Retry-After` replaces the backoff wait when the server sent one.
 */
export async function withRetry<T>(
  attempt: (signal: AbortSignal) => Promise<AttemptOutcome<T>>,
  policy: RetryPolicy,
  clock: Clock,
  hooks: RetryHooks = {},
): Promise<T> {
  const startedAt = clock.now();
  for (let n = 1; ; n++) {
    const timeout = AbortSignal.timeout(policy.attemptTimeoutMs);
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, timeout]) : timeout;
    const outcome = await attempt(signal);
    if (outcome.ok) return outcome.value;
    hooks.onAttemptFailed?.(outcome.error);
    if (!outcome.retryable || n >= policy.maxAttempts || hooks.signal?.aborted) throw outcome.error;
    const waitMs = outcome.retryAfterMs ?? backoffDelayMs(n, policy);
    if (clock.now() - startedAt + waitMs > policy.maxTotalMs) throw outcome.error;
    await sleep(waitMs, hooks.signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new ScopeAuthError('network_error', 'aborted');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
