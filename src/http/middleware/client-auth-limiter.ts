import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { clientIp } from '../client-ip.js';
import { readBasic } from './client-auth.js';
import { applyCounters, type CounterOp, type CounterState } from '../../storage/rate-limit-counters.js';

export const WINDOW_MS = 60_000;
const IPV6_SUBNET = 56;
const WARN_EVERY_MS = 10_000;

/** The key ID a request names (body or HTTP Basic), without authenticating it; bounded. */
export function peekKeyId(req: Request): string | undefined {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const fromBody = body.key_id ?? body.client_id;
  if (typeof fromBody === 'string') return fromBody.slice(0, 64);
  const basic = readBasic(req.get('authorization'));
  return basic && basic !== 'malformed' ? basic.keyId.slice(0, 64) : undefined;
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
  res.setHeader('RateLimit', counters.map((c, i) => `"${c.name}"; r=${remaining(c, states[i]!)}; t=${seconds(states[i]!.resetMs)}`).join(', '));
}

/**
 * The three limits of the client-authentication endpoints in one Redis call per request:
 * - `token-ip`: requests per client address;
 * - `token-key`: exchanges per key ID, wherever they come from; a failed one gives its hit back,
 *   so strangers guessing a key's secret cannot spend its owner's budget;
 * - `failed-ip-key`: authentication failures per (address, key ID), read before and counted after
 *   a 401, so guessing from one address slows that address, not the owner elsewhere.
 *
 * express-rate-limit has one counter and one store call per middleware, and its "count only
 * failures" mode counts every request and takes successes back afterwards: three limiters cost four
 * Redis round trips per successful exchange and halved the service's throughput. Here a success
 * costs one, and a failure one more after the answer has gone. Parallel guesses that are all in
 * flight before the first 401 is counted can overshoot `failed-ip-key`; `token-ip`, counted up
 * front, bounds that burst.
 */
export function clientAuthLimiter(deps: Pick<Deps, 'config' | 'redis' | 'redisKeys' | 'log'>): RequestHandler {
  const { tokenPerIp, tokenPerKey, failedPerIpKey } = deps.config.rateLimit;
  const prefix = { ip: deps.redisKeys.rateLimit('token-ip'), key: deps.redisKeys.rateLimit('token-key'), failed: deps.redisKeys.rateLimit('failed-ip-key') };
  let lastWarning = 0;
  const storeFailed = (err: unknown) => {
    // Fail open, and say so, but not once per request while Redis is down.
    if (Date.now() - lastWarning < WARN_EVERY_MS) return;
    lastWarning = Date.now();
    deps.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'rate-limit.store_error');
  };

  return (req, res, next) => {
    const ip = clientIpKey(req);
    const keyId = peekKeyId(req);
    const counters: Counter[] = [];
    if (tokenPerIp > 0) counters.push({ name: 'token-ip', limit: tokenPerIp, key: prefix.ip + ip, op: 'incr' });
    if (keyId !== undefined && tokenPerKey > 0) counters.push({ name: 'token-key', limit: tokenPerKey, key: prefix.key + keyId, op: 'incr' });
    if (keyId !== undefined && failedPerIpKey > 0) counters.push({ name: 'failed-ip-key', limit: failedPerIpKey, key: `${prefix.failed}${ip}|${keyId}`, op: 'peek' });
    if (counters.length === 0) {
      next();
      return;
    }
    applyCounters(deps.redis, WINDOW_MS, counters.map((c) => [c.key, c.op] as const)).then(
      (states) => {
        giveBackOnFailure(res, counters);
        const refusing = counters.map((_, i) => i).filter((i) => refuses(counters[i]!, states[i]!));
        if (refusing.length === 0) {
          setHeaders(res, counters, states);
          next();
          return;
        }
        // Only the limits that refused: they are what the client has to wait for.
        setHeaders(res, refusing.map((i) => counters[i]!), refusing.map((i) => states[i]!));
        const retryAfterSeconds = Math.max(...refusing.map((i) => seconds(states[i]!.resetMs)));
        next(new AppError('rate_limited', 'too many requests, retry later', { limiter: counters[refusing[0]!]!.name, retryAfterSeconds }));
      },
      (err: unknown) => {
        storeFailed(err);
        next();
      },
    );
  };

  /** After the answer: a failed request returns its `token-key` hit, and a 401 counts against (address, key ID). */
  function giveBackOnFailure(res: Response, counters: Counter[]): void {
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      // Cut off before an answer: not a failure of the client, but not a use of the key either.
      const status = res.writableFinished ? res.statusCode : 499;
      if (status < 400) return;
      const ops: Array<readonly [string, CounterOp]> = [];
      for (const c of counters) {
        if (c.name === 'token-key') ops.push([c.key, 'decr']);
        if (c.name === 'failed-ip-key' && status === 401) ops.push([c.key, 'incr']);
      }
      if (ops.length > 0) applyCounters(deps.redis, WINDOW_MS, ops).catch(storeFailed);
    };
    res.once('finish', settle);
    res.once('close', settle);
  }
}
