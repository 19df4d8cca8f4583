import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { parseEntryJson } from './entry.js';
import type { RevocationList } from './list.js';
import { createLatch, type RevocationSource } from './source.js';

export type RedisRevocationOptions = {
  /** The auth service's Redis, e.g. `redis://redis.internal:6379/0` (needs the `ioredis` package). */
  redisUrl: string;
  /** The service's `REDIS_KEY_PREFIX`. Default `scope-auth:`. */
  keyPrefix?: string;
  /** How long `verify` waits for the first load before failing closed. Default 5000. */
  readyTimeoutMs?: number;
};

export const DEFAULT_KEY_PREFIX = 'scope-auth:';
const NOT_READY_RETRY_MS = 500;
const FULL_RESYNC_MS = 60_000;
// Hash fields: `ready` (the list is complete; a millisecond timestamp), `key:<id>` and `jti:<jti>`
// (entries). Anything else is not ours to read.
const READY_FIELD = 'ready';
const isEntryField = (field: string) => field.startsWith('key:') || field.startsWith('jti:');

/**
 * Keeps `list` current from Redis: subscribe to `{prefix}revocations` first, then load the
 * `{prefix}rev:entries` hash, so that nothing published in between is missed. Done again after
 * every reconnection. The hash is complete iff it holds the field `ready` (the service's marker,
 * kept in the hash so that a flush removes list and marker at once); while it is absent (Redis
 * flushed, list being rebuilt) the entries already held are kept and the load is retried.
 */
export function createRedisSource(o: RedisRevocationOptions, list: RevocationList): RevocationSource {
  const prefix = o.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const keys = { entries: `${prefix}rev:entries`, channel: `${prefix}revocations` };
  const latch = createLatch();
  let closed = false;
  let generation = 0;
  let cmd: Redis | undefined;
  let sub: Redis | undefined;
  let resync: NodeJS.Timeout | undefined;

  async function load(gen: number): Promise<void> {
    while (!closed && gen === generation && cmd) {
      // One command reads marker and entries together: a flush cannot land between the two.
      const all = await cmd.hgetall(keys.entries);
      if (READY_FIELD in all) {
        for (const [field, raw] of Object.entries(all)) {
          if (!isEntryField(field)) continue;
          const entry = parseEntryJson(raw);
          if (entry) list.apply(entry);
        }
        latch.resolve();
        return;
      }
      await sleep(NOT_READY_RETRY_MS, undefined, { ref: false });
    }
  }

  async function subscribeThenLoad(): Promise<void> {
    const gen = ++generation;
    try {
      await sub?.subscribe(keys.channel);
      await load(gen);
    } catch {
      // The connection dropped mid-way: its next 'ready' starts over.
    }
  }

  async function start(): Promise<void> {
    const { Redis: RedisClient } = await import('ioredis').catch((cause: unknown) => {
      throw new TypeError('revocation.redisUrl needs the "ioredis" package: npm install ioredis', { cause });
    });
    if (closed) return;
    cmd = new RedisClient(o.redisUrl, {
      // Shows up in CLIENT LIST, so operators can tell verifier connections apart.
      connectionName: `scope-auth-sdk:${prefix}`,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    });
    // We resubscribe ourselves, so that every resubscription is followed by a reload.
    sub = cmd.duplicate({ autoResubscribe: false, maxRetriesPerRequest: null });
    // The SDK never logs; connection errors surface as a list that stops loading (verify fails closed).
    cmd.on('error', () => undefined);
    sub.on('error', () => undefined);
    sub.on('ready', () => void subscribeThenLoad());
    sub.on('message', (channel: string, raw: string) => {
      if (channel !== keys.channel) return;
      const entry = parseEntryJson(raw);
      if (entry) list.apply(entry);
    });
    resync = setInterval(() => {
      if (latch.isResolved() && sub?.status === 'ready') void load(generation).catch(() => undefined);
    }, FULL_RESYNC_MS);
    resync.unref();
  }

  start().catch((err: unknown) => latch.reject(err));

  return {
    isLoaded: latch.isResolved,
    loaded: latch.promise,
    async close() {
      closed = true;
      clearInterval(resync);
      sub?.disconnect();
      cmd?.disconnect();
    },
  };
}
