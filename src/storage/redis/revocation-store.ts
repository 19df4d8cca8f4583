import { randomUUID } from 'node:crypto';
import { entryId, type RevocationEntry } from '../../domain/revocation/entry.js';
import type { RevocationStore } from '../../domain/seams.js';
import { decodeEntry, encodeEntry } from '../../domain/revocation/wire.js';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient, RedisKeys } from './client.js';

/** The entries hash's own marker field (the SDK's Redis source loads the list only once it is present). */
export const READY_FIELD = 'ready';
const REBUILD_LOCK_MS = 15_000;
const WRITE_CHUNK = 1_000;

/**
 * The shared list in Redis: a hash of entries (plus its ready marker, in the same key so whatever
 * empties the list takes the marker with it), a sorted set of expiries for pruning, and the public
 * channel verifiers subscribe to.
 */
export function createRedisRevocationStore(redis: RedisClient, keys: RedisKeys): RevocationStore {
  // A few multi-field HSET and ZADD commands rather than two per entry: rebuilding a list of 20,000
  // entries is 40 commands, not 40,000 (the rebuild ran ~4x slower, and held the shared Redis as long).
  const addAll = (multi: ChainableCommander, entries: RevocationEntry[]) => {
    for (let i = 0; i < entries.length; i += WRITE_CHUNK) {
      const chunk = entries.slice(i, i + WRITE_CHUNK);
      multi.hset(keys.revocationEntries, Object.fromEntries(chunk.map((e) => [entryId(e), encodeEntry(e)])));
      multi.zadd(keys.revocationExpiry, ...chunk.flatMap((e) => [e.expiresAt * 1000, entryId(e)]));
    }
  };
  const remove = async (ids: string[]) => {
    if (ids.length === 0) return;
    await redis
      .multi()
      .hdel(keys.revocationEntries, ...ids)
      .zrem(keys.revocationExpiry, ...ids)
      .exec();
  };

  return {
    async announce(entries) {
      if (entries.length === 0) return;
      // The list holds an entry before any verifier is told of it. The publishes follow the
      // transaction rather than sit in it: on Cluster, ioredis re-sends a transaction whose node
      // failed over, and one re-sent that way reached the list without its PUBLISH.
      const multi = redis.multi();
      addAll(multi, entries);
      await multi.exec();
      const publish = redis.pipeline();
      for (const e of entries) publish.publish(keys.revocationChannel, encodeEntry(e));
      await publish.exec();
    },

    async isReady() {
      return (await redis.hexists(keys.revocationEntries, READY_FIELD)) === 1;
    },

    async replace(entries) {
      const multi = redis.multi().del(keys.revocationEntries, keys.revocationExpiry);
      addAll(multi, entries);
      multi.hset(keys.revocationEntries, READY_FIELD, String(Date.now()));
      await multi.exec();
    },

    async read() {
      const all = await redis.hgetall(keys.revocationEntries);
      delete all[READY_FIELD];
      return new Map(Object.entries(all).map(([id, raw]) => [id, decodeEntry(raw)]));
    },

    remove,

    async prune(nowMs) {
      const expired = await redis.zrangebyscore(keys.revocationExpiry, 0, nowMs);
      await remove(expired);
      return expired.length;
    },

    async withRebuildLock(fn) {
      const token = randomUUID();
      if ((await redis.set(keys.revocationRebuildLock, token, 'PX', REBUILD_LOCK_MS, 'NX')) !== 'OK') return undefined;
      try {
        return await fn();
      } finally {
        // Delete only our own lock (compare-and-delete in one step).
        await redis
          .eval(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
            1,
            keys.revocationRebuildLock,
            token,
          )
          .catch(() => undefined);
      }
    },
  };
}
