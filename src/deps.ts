import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createAuditLog } from './domain/audit.js';
import { createKeyCache } from './domain/key-cache.js';
import { createLastUsedTracker, lastUsedMinAdvanceMs } from './domain/last-used.js';
import { createRevokedSet } from './domain/revocation/revoked-set.js';
import { createRevocationSync } from './domain/revocation/sync.js';
import { createKeyring } from './domain/signing-keys.js';
import { createTokenLifetimes } from './domain/token-lifetimes.js';
import { createUsageCounter } from './domain/usage.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { createDb, type Db } from './storage/db.js';
import { createRedisClient, redisKeys, type RedisClient } from './storage/redis/client.js';
import { createRedisInstanceBus } from './storage/redis/instance-bus.js';
import { createRedisRateCounters } from './storage/redis/rate-counters.js';
import { createRedisRevocationStore } from './storage/redis/revocation-store.js';

export type DepsOverrides = { clock?: Clock; log?: Logger; db?: Db; redis?: RedisClient };

// Backstop only: invalidation comes by pub/sub within milliseconds, and revocations are also
// reconciled from Postgres every few seconds. Short values cost a database read per key per period
// (with 10,000 busy keys and 60 s, a sixth of all exchanges missed the cache).
const KEY_CACHE_TTL_MS = 10 * 60_000;

/** Builds every dependency; starts nothing (see lifecycle.ts) beyond the Redis client's connection. */
export function createDeps(config: Config, overrides: DepsOverrides = {}) {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger(config.logLevel);
  const db = overrides.db ?? createDb(config.databaseUrl, config.databasePoolMax);
  const redis = overrides.redis ?? createRedisClient(config.redisTopology, config.redisCommandTimeoutMs);
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis.error'));
  const keys = redisKeys(config.redisKeyPrefix);
  const lifetimes = createTokenLifetimes({ db, config, clock });
  const keyring = createKeyring({ config, db, clock, longestTtlSeconds: () => lifetimes.longestSeconds() });
  const keyCache = createKeyCache(config.keyCacheSize, KEY_CACHE_TTL_MS, () => clock.now());
  const revocations = createRevokedSet();
  const revocationStore = createRedisRevocationStore(redis, keys);
  // The bus is asked only on scrape, once it exists.
  const metrics = createMetrics({ keyCache, revocations, busLive: () => bus.isLive() });
  const sync = createRevocationSync({ db, revocationStore, revocations, keyCache, clock, log, metrics, onSigningKeysChanged: () => keyring.refresh() });
  const bus = createRedisInstanceBus({
    redis,
    keys,
    log,
    ackTimeoutMs: config.revocationAckTimeoutMs,
    onMessage: (m) => sync.onMessage(m),
    onResync: () => sync.resync(),
    onDown: () => sync.onDown(),
  });
  return {
    config,
    db,
    redis,
    redisKeys: keys,
    log,
    clock,
    keyring,
    keyCache,
    /** This instance's in-memory revoked set (the hot path's answer while the bus is live). */
    revocations,
    revocationStore,
    rateCounters: createRedisRateCounters(redis, () => bus.suspect()),
    metrics,
    sync,
    bus,
    audit: createAuditLog(db, clock, log),
    lastUsed: createLastUsedTracker(db, lastUsedMinAdvanceMs(config.lastUsedFlushSeconds)),
    usage: createUsageCounter(db, clock, config.usageRetentionDays),
    lifetimes,
    /** Connections given by the caller stay open when the instance stops. */
    owns: { db: !overrides.db, redis: !overrides.redis },
  };
}

export type Deps = ReturnType<typeof createDeps>;
