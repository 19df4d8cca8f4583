import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Options } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';

const WINDOW_MS = 60_000;
const IPV6_SUBNET = 56;

/** The key ID a request names (body or HTTP Basic), without authenticating it; bounded. */
export function peekKeyId(req: Request): string | undefined {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const fromBody = body.key_id ?? body.client_id;
  if (typeof fromBody === 'string') return fromBody.slice(0, 64);
  const auth = req.get('authorization');
  if (auth && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return decoded.slice(0, Math.min(colon, 64));
  }
  return undefined;
}

const clientIp = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown', IPV6_SUBNET);

export type Limiters = {
  /** Token, introspection and RFC 7009 endpoints: per IP, per key ID, and failures per (IP, key ID). */
  clientAuth: RequestHandler[];
  /** Management API, after bearer auth: per organisation. */
  management: RequestHandler;
};

/**
 * Limits shared by every instance through Redis. If Redis is unreachable the limits let requests
 * through (fail open): availability of authentication matters more than throttling.
 */
export function createLimiters(deps: Pick<Deps, 'config' | 'redis' | 'redisKeys' | 'log'>): Limiters {
  const { rateLimit: cfg } = deps.config;
  // Off means off: no middleware on the hot path at all.
  if (!cfg.enabled) return { clientAuth: [], management: (_req, _res, next) => next() };

  const make = (name: string, limit: number, keyGenerator: (req: Request, res: Response) => string | undefined, extra: Partial<Options> = {}): RequestHandler =>
    rateLimit({
      windowMs: WINDOW_MS,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      identifier: name,
      passOnStoreError: true,
      store: new RedisStore({
        sendCommand: (command: string, ...args: string[]) => deps.redis.call(command, ...args) as Promise<RedisReply>,
        prefix: deps.redisKeys.rateLimit(name),
      }),
      // A request without the key this limiter counts by is not counted by it.
      skip: (req, res) => limit === 0 || keyGenerator(req, res) === undefined,
      keyGenerator: (req, res) => keyGenerator(req, res) ?? '',
      handler: (req, _res, next) => {
        const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
        const retryAfterSeconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + WINDOW_MS) - Date.now()) / 1000));
        next(new AppError('rate_limited', 'too many requests, retry later', { limiter: name, retryAfterSeconds }));
      },
      // Our own logger, and no console warnings about proxy headers (TRUST_PROXY decides those).
      logger: { warn: (err: unknown) => deps.log.warn({ err, limiter: name }, 'rate-limit.warning'), error: (err: unknown) => deps.log.warn({ err, limiter: name }, 'rate-limit.store_error') },
      validate: { xForwardedForHeader: false, trustProxy: false, keyGeneratorIpFallback: false },
      ...extra,
    });

  return {
    clientAuth: [
      make('token-ip', cfg.tokenPerIp, clientIp),
      // Only successful exchanges spend a key's budget, so strangers guessing its secret cannot lock its owner out.
      make('token-key', cfg.tokenPerKey, (req) => peekKeyId(req), { skipFailedRequests: true }),
      // Only failures count here: guessing from one address slows that address, not the owner elsewhere.
      make('failed-ip-key', cfg.failedPerIpKey, (req) => {
        const keyId = peekKeyId(req);
        return keyId === undefined ? undefined : `${clientIp(req)}|${keyId}`;
      }, { skipSuccessfulRequests: true }),
    ],
    management: make('management-org', cfg.managementPerOrg, (_req, res) => res.locals.claims?.orgId),
  };
}
