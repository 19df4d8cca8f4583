import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { parseEntryJson } from './entry.js';
import type { RevocationList } from './list.js';
import type { Clock } from '../clock.js';
import { createConfirmation, createLatch, type RevocationSource, type SourceOptions } from './source.js';

export type RedisRevocationOptions = SourceOptions & {
  /** The auth service's Redis, e.g. `redis://redis.internal:6379/0` (needs the `ioredis` package). */
  redisUrl: string;
  /** The service's `REDIS_KEY_PREFIX`. Default `scope-auth:`. */
  keyPrefix?: string;
};

export const DEFAULT_KEY_PREFIX = 'scope-auth:';
const NOT_READY_RETRY_MS = 500;
const FULL_RESYNC_MS = 60_000;
// Hash fields: `ready` (the list is complete; a millisecond timestamp), `key:<id>` and `jti:<jti>`
// (entries). Anything else is not ours to read.
const READY_FIELD = 'ready';
const isEntryField = (field: string) => field.startsWith('key:') || field.startsWith('jti:');
// With maxStalenessSeconds, the subscription is pinged: a hung Redis keeps its sockets open and
// says nothing, so only an answer proves the subscription still delivers.
const pingIntervalMs = (maxStalenessMs: number) => Math.min(5_000, Math.max(250, maxStalenessMs / 4));

/**
 * Keeps `list` current from Redis: subscribe to `{prefix}revocations` first, then load the
 * `{prefix}rev:entries` hash, so that nothing published in between is missed. Done again after
 * every reconnection. The hash is complete iff it holds the field `ready` (the service's marker,
 * kept in the hash so that a flush removes list and marker at once); while it is absent (Redis
 * flushed, list being rebuilt) the entries already held are kept and the load is retried.
 */
export function createRedisSource(o: RedisRevocationOptions, list: RevocationList, clock: Clock): RevocationSource {
  // Named in errors without its password.
  const redactedUrl = o.redisUrl.replace(/\/\/[^@/]*@/, '//***@');
  let lastError: unknown;
  const prefix = o.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const keys = { entries: `${prefix}rev:entries`, channel: `${prefix}revocations` };
  const latch = createLatch();
  // The list is known current as of: a load made while subscribed, or a message or PONG on the
  // subscription that has been loaded since its last (re)connection (`liveGeneration`).
  const confirmation = createConfirmation();
  let closed = false;
  let generation = 0;
  let liveGeneration = -1;
  let pinging = false;
  let cmd: Redis | undefined;
  let sub: Redis | undefined;
  let resync: NodeJS.Timeout | undefined;
  let pinger: NodeJS.Timeout | undefined;

  async function load(gen: number): Promise<void> {
    while (!closed && gen === generation && cmd) {
      const startedMs = clock.now();
      // One command reads marker and entries together: a flush cannot land between the two.
      const all = await cmd.hgetall(keys.entries);
      if (READY_FIELD in all) {
        for (const [field, raw] of Object.entries(all)) {
          if (!isEntryField(field)) continue;
          const entry = parseEntryJson(raw);
          if (entry) list.apply(entry);
        }
        latch.resolve();
        if (gen === generation) {
          liveGeneration = gen;
          confirmation.confirm(startedMs);
        }
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

  function ping(): void {
    if (pinging || closed || sub?.status !== 'ready' || liveGeneration !== generation) return;
    const gen = generation;
    const sentMs = clock.now();
    pinging = true;
    sub
      .ping()
      .then(
        () => {
          // Everything published before the PING was delivered before its answer.
          if (gen === generation) confirmation.confirm(sentMs);
        },
        () => undefined,
      )
      .finally(() => {
        pinging = false;
      });
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
    cmd.on('error', (err: unknown) => {
      lastError = new Error(`could not reach Redis at ${redactedUrl}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
    sub.on('error', () => undefined);
    sub.on('ready', () => void subscribeThenLoad());
    // Whatever was in flight on the lost connection proves nothing about the next one.
    sub.on('close', () => {
      generation++;
    });
    sub.on('message', (channel: string, raw: string) => {
      if (channel !== keys.channel) return;
      const entry = parseEntryJson(raw);
      if (entry) list.apply(entry);
      if (liveGeneration === generation) confirmation.confirm(clock.now());
    });
    if (o.maxStalenessSeconds !== undefined) {
      pinger = setInterval(ping, pingIntervalMs(o.maxStalenessSeconds * 1000));
      pinger.unref();
    }
    resync = setInterval(() => {
      if (latch.isResolved() && sub?.status === 'ready') void load(generation).catch(() => undefined);
    }, FULL_RESYNC_MS);
    resync.unref();
  }

  start().catch((err: unknown) => latch.reject(err));

  return {
    isLoaded: latch.isResolved,
    loaded: latch.promise,
    confirmedAtMs: confirmation.atMs,
    lastError: () => (latch.isResolved() ? undefined : lastError),
    close() {
      closed = true;
      clearInterval(resync);
      clearInterval(pinger);
      sub?.disconnect();
      cmd?.disconnect();
      return Promise.resolve();
    },
  };
}
