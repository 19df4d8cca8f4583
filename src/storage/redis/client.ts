import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../log.js';

export type { Redis };

export function createRedis(url: string, commandTimeoutMs: number, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    // Fail fast instead of queueing commands forever while Redis is down: callers fall back to Postgres.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // A hung Redis answers nothing: every command gives up after this and callers fall back the same way.
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    lazyConnect: false,
    ...options,
  });
}

/** Every Redis key and channel name, built in one place from the deployment's prefix. */
export function redisKeys(prefix: string) {
  return {
    /**
     * HASH: `key:<keyId>` / `jti:<jti>` → JSON revocation entry, and field `ready` once the list has
     * been rebuilt from Postgres: one key, so whatever empties the list takes the marker with it.
     */
    revocationEntries: `${prefix}rev:entries`,
    /** ZSET: same members, scored by expiry (ms), for pruning. */
    revocationExpiry: `${prefix}rev:expiry`,
    revocationRebuildLock: `${prefix}rev:rebuild-lock`,
    /** Public channel: new revocation entries, for verifiers (the SDK subscribes here). */
    revocationChannel: `${prefix}revocations`,
    /** Service instances only: revocations, key-cache invalidations, signing-key changes. */
    instanceChannel: `${prefix}instances`,
    /** Instances confirm each instance-channel message here, so a revoke can wait for all of them. */
    ackChannel: `${prefix}acks`,
    rateLimit: (name: string) => `${prefix}rl:${name}:`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * One warning when Redis becomes unreachable and one line when it is back, instead of an error per
 * retry: what it means for the service is said once.
 */
export function reportRedisOutages(redis: Redis, url: string, log: Logger): void {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || '6379'}`;
  let down = false;
  redis.on('error', (err: Error) => {
    log.debug({ err: err.message }, 'redis.error');
    if (down) return;
    down = true;
    log.warn(
      { redis: where, reason: err.message },
      `redis.unreachable: Redis at ${where} (REDIS_URL) does not answer. Until it returns, rate limits are off, and key lookups and revocation checks read PostgreSQL (slower, still correct).`,
    );
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: where }, 'redis.recovered');
  });
}
