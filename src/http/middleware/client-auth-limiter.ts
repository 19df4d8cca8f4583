import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { clientIp } from '../client-ip.js';
import { clientCredentialsOf } from './client-auth.js';
import type { CounterOp, CounterState } from '../../domain/seams.js';

export const WINDOW_MS = 60_000;
const IPV6_SUBNET = 56;
const WARN_EVERY_MS = 10_000;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /**
       * Left by the client-auth limiter for the routes to call once the client has authenticated as
       * `keyId`: applies that key's limit (429 if over) and shows its figures.
       */
      checkKeyRateLimit?: (keyId: string) => void;
    }
  }
}

const clientIpKey = (req: Request): string => ipKeyGenerator(clientIp(req) ?? 'unknown', IPV6_SUBNET);

type Counter = { name: 'token-ip' | 'token-key' | 'failed-ip-key'; limit: number; key: string; op: CounterOp };

/** An `incr` counter refuses the request that goes over the limit; a `peek` one refuses once the limit is reached. */
const refuses = (c: Counter, s: CounterState) => (c.op === 'incr' ? s.hits > c.limit : s.hits >= c.limit);
const remaining = (c: Counter, s: CounterState) => Math.max(0, c.limit - s.hits);
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** RateLimit and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers-08): one list item per limit, in one field each. */
function setHeaders(res: Response, counters: Counter[], states: CounterState[]): void {
  res.setHeader('RateLimit-Policy', counters.map((c) => `"${c.name}"; q=${c.limit}; w=${WINDOW_MS / 1000}`).join(', '));
  res.setHeader(
    'RateLimit',
    counters.map((c, i) => `"${c.name}"; r=${remaining(c, states[i]!)}; t=${seconds(states[i]!.resetMs)}`).join(', '),
  );
}

/**
 * The three limits of the client-authentication endpoints in one Redis call per request:
 * - `token-ip`: requests per client address;
 * - `token-key`: exchanges per key, wherever they come from; counted up front with the others, but
 *   it refuses, and shows its figures, only once the route has authenticated that key
 *   (`res.locals.checkKeyRateLimit`): before that, a stranger naming the key would learn that it
 *   exists and how busy it is. A refused or unauthenticated request gives its hit back, so strangers
 *   who know a key ID (every token's `sub`) cannot spend its owner's budget;
 * - `failed-ip-key`: authentication failures per (address, key ID), read before and counted after
 *   a 401, so guessing from one address slows that address, not the owner elsewhere.
 * The key is the one the route authenticates (both read it with `clientCredentialsOf`). One Redis call
 * per success, one more after a failure (docs/PERFORMANCE.md); guesses in flight before the first 401
 * is counted can overshoot `failed-ip-key`, and `token-ip` bounds that burst.
 */
export function clientAuthLimiter(deps: Pick<Deps, 'config' | 'rateCounters' | 'redisKeys' | 'log'>): RequestHandler {
  const { tokenPerIp, tokenPerKey, failedPerIpKey } = deps.config.rateLimit;
  const prefix = {
    ip: deps.redisKeys.rateLimit('token-ip'),
    key: deps.redisKeys.rateLimit('token-key'),
    failed: deps.redisKeys.rateLimit('failed-ip-key'),
  };
  let lastWarning = 0;
  const storeFailed = (err: unknown) => {
    // Fail open, and say so, but not once per request while Redis is down.
    if (Date.now() - lastWarning < WARN_EVERY_MS) return;
    lastWarning = Date.now();
    deps.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'rate-limit.store_error');
  };

  /** `keyId` is well-formed (clientCredentialsOf refuses any other), so a secret never names a counter. */
  const countersFor = (ip: string, keyId: string | undefined): Counter[] => {
    const counters: Counter[] = [];
    if (tokenPerIp > 0) counters.push({ name: 'token-ip', limit: tokenPerIp, key: prefix.ip + ip, op: 'incr' });
    if (keyId !== undefined && tokenPerKey > 0)
      counters.push({ name: 'token-key', limit: tokenPerKey, key: prefix.key + keyId, op: 'incr' });
    if (keyId !== undefined && failedPerIpKey > 0)
      counters.push({ name: 'failed-ip-key', limit: failedPerIpKey, key: `${prefix.failed}${ip}|${keyId}`, op: 'peek' });
    return counters;
  };

  return (req, res, next) => {
    const creds = clientCredentialsOf(req);
    const keyId = creds instanceof AppError ? undefined : creds.keyId;
    const counters = countersFor(clientIpKey(req), keyId);
    if (counters.length === 0) {
      next();
      return;
    }
    const pending = { counting: undefined as Promise<unknown> | undefined, keyConfirmed: false, answered: false };
    // Before the Redis call: a connection reset while it runs must still give the hit back.
    onceAnswered(res, (status) => {
      pending.answered = true;
      const ops = settlingOps(counters, status, pending.keyConfirmed);
      if (ops.length > 0)
        pending.counting
          ?.then(
            () => deps.rateCounters.apply(WINDOW_MS, ops),
            () => undefined,
          )
          .catch(storeFailed);
    });
    const counting = deps.rateCounters.apply(
      WINDOW_MS,
      counters.map((c) => [c.key, c.op] as const),
    );
    pending.counting = counting;
    counting.then(
      (states) => {
        // The client left while we counted: nothing to answer, and its hit is already on its way back.
        if (pending.answered) return;
        const before = counters.map((_, i) => i).filter((i) => counters[i]!.name !== 'token-key');
        const refusing = before.filter((i) => refuses(counters[i]!, states[i]!));
        if (refusing.length > 0) {
          next(refusal(res, counters, states, refusing));
          return;
        }
        if (before.length > 0)
          setHeaders(
            res,
            before.map((i) => counters[i]!),
            before.map((i) => states[i]!),
          );
        const k = counters.findIndex((c) => c.name === 'token-key');
        if (k >= 0) {
          res.locals.checkKeyRateLimit = (authenticated: string) => {
            if (authenticated !== keyId) throw new TypeError('checkKeyRateLimit called for a key the limiter did not count');
            pending.keyConfirmed = true;
            if (refuses(counters[k]!, states[k]!)) throw refusal(res, counters, states, [k]);
            setHeaders(res, counters, states);
          };
        }
        next();
      },
      (err: unknown) => {
        storeFailed(err);
        next();
      },
    );
  };
}

/** 429 with only the limits that refused: they are what the client has to wait for. */
function refusal(res: Response, counters: Counter[], states: CounterState[], refusing: number[]): AppError {
  setHeaders(
    res,
    refusing.map((i) => counters[i]!),
    refusing.map((i) => states[i]!),
  );
  const retryAfterSeconds = Math.max(...refusing.map((i) => seconds(states[i]!.resetMs)));
  return new AppError('rate_limited', 'too many requests, retry later', { limiter: counters[refusing[0]!]!.name }, { retryAfterSeconds });
}

/** Calls `settle` once, with the status sent, or 499 if the connection closed before an answer. */
function onceAnswered(res: Response, settle: (status: number) => void): void {
  let settled = false;
  const once = () => {
    if (settled) return;
    settled = true;
    settle(res.writableFinished ? res.statusCode : 499);
  };
  res.once('finish', once);
  res.once('close', once);
}

/**
 * After the answer: a `token-key` hit stays only for a success by the key that authenticated; any
 * other request (refused, cut off, or authenticated some other way) gives it back. A 401 counts
 * against (address, key ID).
 */
function settlingOps(counters: Counter[], status: number, keyConfirmed: boolean): Array<readonly [string, CounterOp]> {
  const ops: Array<readonly [string, CounterOp]> = [];
  for (const c of counters) {
    if (c.name === 'token-key' && (status >= 400 || !keyConfirmed)) ops.push([c.key, 'decr']);
    if (c.name === 'failed-ip-key' && status === 401) ops.push([c.key, 'incr']);
  }
  return ops;
}
