import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { clientIp } from '../client-ip.js';
import { clientAuthLimiter, WINDOW_MS } from './client-auth-limiter.js';
import { counterStore } from './counter-store.js';

export type Limiters = {
  /** Token, introspection and RFC 7009 endpoints: per IP, per key ID, and failures per (IP, key ID). */
  clientAuth: RequestHandler;
  /** Management API, after bearer auth: per organisation. */
  management: RequestHandler;
  /** Public routes marked `perIp` (single sign-on start and callback): per client address. */
  perIp: RequestHandler;
};

type LimiterDeps = Pick<Deps, 'config' | 'rateCounters' | 'redisKeys' | 'log'>;

/**
 * Limits shared by every instance through the RateCounters seam (Redis, or the process when embedded). If Redis is unreachable the limits let requests
 * through (fail open): availability of authentication matters more than throttling.
 */
export function createLimiters(deps: LimiterDeps): Limiters {
  const { rateLimit: cfg } = deps.config;
  // Off: the routes keep their one shape, with a limiter that does nothing.
  if (!cfg.enabled) return { clientAuth: passThrough, management: passThrough, perIp: passThrough };
  return {
    clientAuth: clientAuthLimiter(deps),
    // Runs after bearer auth, so the organisation is known; a request without one is not counted.
    management: windowLimiter(
      deps,
      'management-org',
      cfg.managementPerOrg,
      (_req, res) => res.locals.claims?.orgId ?? res.locals.person?.orgId,
    ),
    // IPv6 addresses by /56, as the token endpoint counts them.
    perIp: windowLimiter(deps, 'sso-ip', cfg.ssoPerIp, (req) => ipKeyGenerator(clientIp(req) ?? 'unknown', 56)),
  };
}

/** `limit` requests per window per key (0: no limit); a request whose key is undefined is not counted. */
function windowLimiter(
  deps: LimiterDeps,
  identifier: string,
  limit: number,
  keyOf: (req: Request, res: Response) => string | undefined,
): RequestHandler {
  if (limit === 0) return passThrough;
  return rateLimit({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier,
    passOnStoreError: true,
    store: counterStore(deps.rateCounters, deps.redisKeys.rateLimit(identifier), WINDOW_MS),
    skip: (req, res) => keyOf(req, res) === undefined,
    keyGenerator: (req, res) => keyOf(req, res) ?? '',
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfterSeconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + WINDOW_MS) - Date.now()) / 1000));
      next(new AppError('rate_limited', 'too many requests, retry later', { limiter: identifier }, { retryAfterSeconds }));
    },
    // Our own logger, and no console warnings about proxy headers (TRUST_PROXY decides those).
    logger: {
      warn: (err: unknown) => deps.log.warn({ err, limiter: identifier }, 'rate-limit.warning'),
      error: (err: unknown) => deps.log.warn({ err, limiter: identifier }, 'rate-limit.store_error'),
    },
    validate: { xForwardedForHeader: false, trustProxy: false, keyGeneratorIpFallback: false },
  });
}

const passThrough: RequestHandler = (_req, _res, next) => next();
