import { join } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createAuditLog } from './domain/audit.js';
import { createKeyCache } from './domain/key-cache.js';
import { createSessionCache } from './domain/people/session-cache.js';
import { createLastUsedTracker, lastUsedMinAdvanceMs } from './domain/last-used.js';
import { createRevocationLease, soleInstanceLease } from './domain/revocation/lease.js';
import { createRevokedSet } from './domain/revocation/revoked-set.js';
import { createRevocationSync } from './domain/revocation/sync.js';
import { createKeyring } from './domain/signing-keys.js';
import { createTokenLifetimes } from './domain/token-lifetimes.js';
import { createUsageCounter, noUsageCounter } from './domain/usage.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, noMetrics } from './metrics.js';
import { createDb, type Db } from './storage/db.js';
import { serverDatabase, type DatabaseHandle } from './storage/database.js';
import { createMemoryInstanceBus } from './storage/memory/instance-bus.js';
import { createMemoryRateCounters } from './storage/memory/rate-counters.js';
import { createMemoryRevocationStore } from './storage/memory/revocation-store.js';
import { createRedisClient, redisKeys, reportRedisOutages, type RedisClient } from './storage/redis/client.js';
import { createRedisInstanceBus } from './storage/redis/instance-bus.js';
import { createRedisRateCounters } from './storage/redis/rate-counters.js';
import type { BusMessage } from './domain/seams.js';
import { createRedisRevocationStore } from './storage/redis/revocation-store.js';

export type DepsOverrides = {
  clock?: Clock;
  log?: Logger;
  db?: Db;
  redis?: RedisClient;
  /** Where the database is (openDatabase); from DATABASE_URL when absent. Closed with the instance. */
  database?: DatabaseHandle;
};

// Backstop only: invalidation comes by pub/sub within milliseconds, and revocations are also
// reconciled from Postgres every few seconds. Short values cost a database read per key per period
// (with 10,000 busy keys and 60 s, a sixth of all exchanges missed the cache).
const KEY_CACHE_TTL_MS = 10 * 60_000;
// A query waits behind at most one transaction of a CLI verb on the embedded store.
const EMBEDDED_ACQUIRE_TIMEOUT_MS = 3_000;
// Live console sessions held per process (a few hundred bytes each).
const SESSION_CACHE_SIZE = 10_000;

/** Builds every dependency; starts nothing (see lifecycle.ts) beyond the Redis client's connection. */
export function createDeps(config: Config, overrides: DepsOverrides = {}) {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger(config.logLevel);
  const database = overrides.database ?? serverDatabase(config);
  // The embedded store serves one query at a time: a second connection would only queue.
  const db =
    overrides.db ??
    (database.mode === 'embedded'
      ? createDb(database.url, 1, EMBEDDED_ACQUIRE_TIMEOUT_MS)
      : createDb(database.url, config.databasePoolMax));
  const topology = config.redisTopology;
  const redis = overrides.redis ?? (topology === undefined ? undefined : createRedisClient(topology, config.redisCommandTimeoutMs));
  if (redis && topology !== undefined) reportRedisOutages(redis, topology, log);
  const keys = redisKeys(config.redisKeyPrefix);
  const lifetimes = createTokenLifetimes({ db, config, clock });
  const keyring = createKeyring({ config, db, clock, longestTtlSeconds: () => lifetimes.longestSeconds() });
  const keyCache = createKeyCache(config.keyCacheSize, KEY_CACHE_TTL_MS, () => clock.now());
  const revocations = createRevokedSet();
  const revocationStore = redis ? createRedisRevocationStore(redis, keys) : createMemoryRevocationStore();
  const sessionCache = createSessionCache(SESSION_CACHE_SIZE, KEY_CACHE_TTL_MS, () => clock.now());
  // The bus is asked only on scrape, once it exists.
  const metrics = config.metricsEnabled ? createMetrics({ keyCache, revocations, busLive: () => bus.isLive() }) : noMetrics();
  const sync = createRevocationSync({
    db,
    revocationStore,
    revocations,
    keyCache,
    sessionCache,
    clock,
    log,
    metrics,
    onSigningKeysChanged: () => keyring.refresh(),
  });
  const handlers = { onMessage: (m: BusMessage) => sync.onMessage(m), onResync: () => sync.resync(), onDown: () => sync.onDown() };
  const redisBus = redis
    ? createRedisInstanceBus({ ...handlers, redis, keys, log, ackTimeoutMs: config.revocationAckTimeoutMs })
    : undefined;
  // With Redis, other instances exist: memory is trusted under a lease renewed from Postgres (lease.ts).
  const lease = redisBus
    ? createRevocationLease({ db, log, revocations, keyCache, deployment: config.redisKeyPrefix, instanceId: redisBus.instanceId })
    : soleInstanceLease;
  const bus = redisBus ?? createMemoryInstanceBus({ ...handlers, log, local: localBus(database, config.revocationAckTimeoutMs) });
  return {
    config,
    db,
    /** Where the database lives (`mode` embedded or server). */
    database,
    /** Undefined without REDIS_URL: the seams below are then in-process. */
    redis,
    redisKeys: keys,
    log,
    clock,
    keyring,
    keyCache,
    sessionCache,
    /** This instance's in-memory revoked set (the hot path's answer while the bus is live). */
    revocations,
    revocationStore,
    rateCounters: redis ? createRedisRateCounters(redis, () => redisBus?.suspect()) : createMemoryRateCounters(),
    metrics,
    sync,
    bus,
    lease,
    audit: createAuditLog(db, clock, log),
    lastUsed: createLastUsedTracker(db, lastUsedMinAdvanceMs(config.lastUsedFlushSeconds)),
    usage: config.usageEnabled ? createUsageCounter(db, clock, config.usageRetentionDays) : noUsageCounter,
    lifetimes,
    /** Connections given by the caller stay open when the instance stops. */
    owns: { db: !overrides.db, redis: !overrides.redis },
  };
}

export type Deps = ReturnType<typeof createDeps>;

// Unix socket paths are limited to about 104 bytes; beyond, CLI changes reach the server by reconcile (5 s).
const MAX_SOCKET_PATH = 100;

/** The embedded server's bus socket, served by the process holding DATA_DIR and reached by a CLI beside it. */
function localBus(database: DatabaseHandle, ackTimeoutMs: number) {
  if (database.mode !== 'embedded' || database.dataDir === undefined || database.holder === 'none') return undefined;
  const path = join(database.dataDir, 'bus.sock');
  if (path.length > MAX_SOCKET_PATH) return undefined;
  return { role: database.holder === 'self' ? ('serve' as const) : ('reach' as const), path, ackTimeoutMs: Math.max(ackTimeoutMs, 1_000) };
}
