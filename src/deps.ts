import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createAuditLog, type AuditLog } from './domain/audit.js';
import { createKeyCache, type KeyCache } from './domain/key-cache.js';
import { createLastUsedTracker, lastUsedMinAdvanceMs, type LastUsedTracker } from './domain/last-used.js';
import { createRevocationList, type RevocationList } from './domain/revocation-list.js';
import { createRevocationSync, type RevocationSync } from './domain/revocation-sync.js';
import { createKeyring, type Keyring } from './domain/signing-keys.js';
import { createTokenLifetimes, TOKEN_LIFETIME_RECORD_SECONDS, type TokenLifetimes } from './domain/token-lifetimes.js';
import { createLogger, type Logger } from './log.js';
import { createDb, type Db } from './storage/db.js';
import { createEventBus, type EventBus } from './storage/event-bus.js';
import { createRedis, redisKeys, type Redis, type RedisKeys } from './storage/redis.js';

export type Deps = {
  config: Config;
  db: Db;
  redis: Redis;
  redisKeys: RedisKeys;
  log: Logger;
  clock: Clock;
  keyring: Keyring;
  keyCache: KeyCache;
  revocations: RevocationList;
  sync: RevocationSync;
  bus: EventBus;
  audit: AuditLog;
  lastUsed: LastUsedTracker;
  lifetimes: TokenLifetimes;
  /** Loads signing keys, subscribes to pub/sub, starts the background timers. */
  start(): Promise<void>;
  /** Flushes batched writes and closes every connection. */
  close(): Promise<void>;
};

export type DepsOverrides = { clock?: Clock; log?: Logger; db?: Db; redis?: Redis };

// Backstop only: invalidation comes by pub/sub within milliseconds, and revocations are also
// reconciled from Postgres every few seconds. Short values cost a database read per key per period
// (with 10,000 busy keys and 60 s, a sixth of all exchanges missed the cache).
const KEY_CACHE_TTL_MS = 10 * 60_000;
const AUDIT_FLUSH_MS = 1_000;
const MAINTENANCE_MS = 5_000;
const ROTATION_CHECK_MS = 60 * 60_000;

export function createDeps(config: Config, overrides: DepsOverrides = {}): Deps {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger(config.logLevel);
  const db = overrides.db ?? createDb(config.databaseUrl, config.databasePoolMax);
  const redis = overrides.redis ?? createRedis(config.redisUrl, config.redisCommandTimeoutMs);
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis.error'));
  const keys = redisKeys(config.redisKeyPrefix);
  const keyring = createKeyring({ config, db, clock });
  const keyCache = createKeyCache(config.keyCacheSize, KEY_CACHE_TTL_MS, () => clock.now());
  const revocations = createRevocationList();
  const sync = createRevocationSync({
    db,
    redis,
    keys,
    list: revocations,
    keyCache,
    clock,
    log,
    onSigningKeysChanged: () => keyring.refresh(),
  });
  const bus = createEventBus({
    redis,
    keys,
    log,
    ackTimeoutMs: config.revocationAckTimeoutMs,
    onMessage: (m) => sync.onMessage(m),
    onResync: () => sync.resync(),
    onDown: () => sync.onDown(),
  });
  const audit = createAuditLog(db, clock, log);
  const lastUsed = createLastUsedTracker(db, lastUsedMinAdvanceMs(config.lastUsedFlushSeconds));
  const lifetimes = createTokenLifetimes({ db, config, clock });
  const timers: NodeJS.Timeout[] = [];

  /** Runs `fn` every `ms`, the first time after `firstAfterMs`; never two runs of it at once. */
  const every = (ms: number, name: string, fn: () => Promise<unknown>, firstAfterMs = ms) => {
    let running = false;
    const tick = () => {
      if (running) return;
      running = true;
      fn()
        .catch((err: unknown) => log.warn({ err, task: name }, 'background.failed'))
        .finally(() => (running = false));
    };
    const first = setTimeout(() => {
      tick();
      const t = setInterval(tick, ms);
      t.unref();
      timers.push(t);
    }, firstAfterMs);
    first.unref();
    timers.push(first);
  };

  return {
    config,
    db,
    redis,
    redisKeys: keys,
    log,
    clock,
    keyring,
    keyCache,
    revocations,
    sync,
    bus,
    audit,
    lastUsed,
    lifetimes,

    async start() {
      await keyring.init();
      await lifetimes.refresh();
      await bus.start();
      // At a random point of the interval: processes started together would otherwise all flush at
      // the same moment, for ever.
      const flushMs = config.lastUsedFlushSeconds * 1000;
      every(flushMs, 'last-used.flush', () => lastUsed.flush({ paced: true }), Math.random() * flushMs);
      every(AUDIT_FLUSH_MS, 'audit.flush', () => audit.flush());
      every(MAINTENANCE_MS, 'revocations.maintain', () => sync.maintain());
      every(TOKEN_LIFETIME_RECORD_SECONDS * 1000, 'token-lifetimes.refresh', () => lifetimes.refresh());
      every(config.signingKeyRefreshSeconds * 1000, 'signing-keys.refresh', () => keyring.refresh());
      every(ROTATION_CHECK_MS, 'signing-keys.rotate', async () => {
        if (await keyring.rotateIfDue()) await bus.publish({ type: 'signing-keys.changed' });
        await keyring.prune();
      });
    },

    async close() {
      for (const t of timers) clearInterval(t);
      const results = await Promise.allSettled([lastUsed.flush(), audit.flush()]);
      for (const r of results) if (r.status === 'rejected') log.error({ err: r.reason }, 'shutdown.flush_failed');
      await bus.stop();
      if (!overrides.redis) redis.disconnect();
      if (!overrides.db) await db.destroy();
    },
  };
}
