import { Redis, type RedisOptions } from 'ioredis';

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
