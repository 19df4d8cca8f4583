import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { clientAuthLimiter, WINDOW_MS } from './client-auth-limiter.js';
import { counterStore } from './counter-store.js';

export type Limiters = {
  /** Token, introspection and RFC 7009 endpoints: per IP, per key ID, and failures per (IP, key ID). */
  clientAuth: RequestHandler;
  /** Management API, after bearer auth: per organisation. */
  management: RequestHandler;
};

/**
 * Limits shared by every instance through the RateCounters seam (Redis, or the process when embedded). If Redis is unreachable the limits let requests
 * through (fail open): availability of authentication matters more than throttling.
 */
export function createLimiters(deps: Pick<Deps, 'config' | 'rateCounters' | 'redisKeys' | 'log'>): Limiters {
  const { rateLimit: cfg } = deps.config;
  // Off: the routes keep their one shape, with a limiter that does nothing.
  if (!cfg.enabled) return { clientAuth: passThrough, management: passThrough };
  const management =
    cfg.managementPerOrg === 0
      ? passThrough
      : rateLimit({
          windowMs: WINDOW_MS,
          limit: cfg.managementPerOrg,
          standardHeaders: 'draft-8',
          legacyHeaders: false,
          identifier: 'management-org',
          passOnStoreError: true,
          store: counterStore(deps.rateCounters, deps.redisKeys.rateLimit('management-org'), WINDOW_MS),
          // Runs after bearer auth, so the organisation is known; a request without one is not counted.
          skip: (_req, res) => (res.locals.claims?.orgId ?? res.locals.person?.orgId) === undefined,
          keyGenerator: (_req, res) => res.locals.claims?.orgId ?? res.locals.person?.orgId ?? '',
          handler: (req, _res, next) => {
            const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
            const retryAfterSeconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + WINDOW_MS) - Date.now()) / 1000));
            next(new AppError('rate_limited', 'too many requests, retry later', { limiter: 'management-org' }, { retryAfterSeconds }));
          },
          // Our own logger, and no console warnings about proxy headers (TRUST_PROXY decides those).
          logger: {
            warn: (err: unknown) => deps.log.warn({ err, limiter: 'management-org' }, 'rate-limit.warning'),
            error: (err: unknown) => deps.log.warn({ err, limiter: 'management-org' }, 'rate-limit.store_error'),
          },
          validate: { xForwardedForHeader: false, trustProxy: false, keyGeneratorIpFallback: false },
        });
  return { clientAuth: clientAuthLimiter(deps), management };
}

const passThrough: RequestHandler = (_req, _res, next) => next();
