import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Db } from '../storage/db.js';
import type { BusMessage } from '../storage/event-bus.js';
import type { Redis, RedisKeys } from '../storage/redis.js';
import {
  acquireRebuildLock,
  decodeEntry,
  deleteEntries,
  encodeEntry,
  entryField,
  isListReady,
  pruneList,
  readEncodedEntries,
  releaseRebuildLock,
  replaceList,
  writeEntries,
} from '../storage/revocation-list.js';
import { listLiveRevocations } from '../storage/revocations.js';
import type { KeyCache } from './key-cache.js';
import type { RevocationList } from './revocation-list.js';

export type RevocationSyncDeps = {
  db: Db;
  redis: Redis;
  keys: RedisKeys;
  list: RevocationList;
  keyCache: KeyCache;
  clock: Clock;
  log: Logger;
  onSigningKeysChanged(): Promise<void>;
};

const REBUILD_LOCK_MS = 15_000;

/** Keeps the Redis list, the in-process list and the key cache consistent with Postgres. */
export function createRevocationSync(d: RevocationSyncDeps) {
  /** Rebuilds the Redis list from Postgres; returns what Postgres holds. */
  async function rebuild(): Promise<void> {
    const token = randomUUID();
    if (!(await acquireRebuildLock(d.redis, d.keys, token, REBUILD_LOCK_MS))) {
      // Someone else is rebuilding: wait for the ready marker rather than trusting a half-built list.
      for (let i = 0; i < 50; i++) {
        await sleep(100);
        if (await isListReady(d.redis, d.keys)) return;
      }
      throw new Error('revocation list rebuild by another instance did not finish');
    }
    try {
      const snapshot = await listLiveRevocations(d.db, new Date(d.clock.now()));
      await replaceList(d.redis, d.keys, snapshot);
      // Catch up on revocations committed while the snapshot was being written (Postgres commits first).
      const maxSeq = snapshot.reduce((m, e) => Math.max(m, e.seq), 0);
      await writeEntries(d.redis, d.keys, await listLiveRevocations(d.db, new Date(d.clock.now()), maxSeq));
      d.log.info({ entries: snapshot.length }, 'revocation-list.rebuilt');
    } finally {
      await releaseRebuildLock(d.redis, d.keys, token).catch(() => undefined);
    }
  }

  async function ensureReady(): Promise<void> {
    if (!(await isListReady(d.redis, d.keys))) await rebuild();
  }

  /**
   * Makes memory and the Redis list hold exactly the live entries Postgres holds. Catches what
   * pub/sub could not carry (revocations made while Redis was unreachable, or by an instance cut off
   * from it) and what was changed in Redis behind our back: entries missing or edited are written
   * again and published, so subscribed verifiers get them too; entries Postgres does not have are
   * dropped.
   */
  async function reconcile(): Promise<void> {
    const now = d.clock.now();
    const live = await listLiveRevocations(d.db, new Date(now));
    for (const e of live) if (d.list.apply(e) && e.kind === 'key') d.keyCache.invalidate(e.keyId);
    if (!(await isListReady(d.redis, d.keys))) {
      await rebuild();
      return;
    }
    const inRedis = await readEncodedEntries(d.redis, d.keys);
    const wrong = live.filter((e) => inRedis.get(entryField(e)) !== encodeEntry(e));
    // Only entries older than what Postgres answered: a newer one may have committed since.
    const newestSeq = live.at(-1)?.seq ?? 0;
    const known = new Set(live.map(entryField));
    const extra = [...inRedis].filter(([f, raw]) => !known.has(f) && (decodeEntry(raw)?.seq ?? 0) <= newestSeq).map(([f]) => f);
    if (wrong.length === 0 && extra.length === 0) return;
    await writeEntries(d.redis, d.keys, wrong);
    await deleteEntries(d.redis, d.keys, extra);
    for (const e of wrong) await d.redis.publish(d.keys.revocationChannel, encodeEntry(e));
    d.log.info({ repaired: wrong.length, dropped: extra.length }, 'revocation-list.reconciled');
  }

  return {
    rebuild,
    ensureReady,

    /** After (re)subscribing: whatever happened while we were not listening is read from Postgres. */
    async resync(): Promise<void> {
      d.keyCache.clear();
      await reconcile();
      await d.onSigningKeysChanged();
    },

    onDown(): void {
      d.keyCache.clear();
    },

    async onMessage(message: BusMessage): Promise<void> {
      switch (message.type) {
        case 'key.changed':
          d.keyCache.invalidate(message.keyId);
          return;
        case 'revocation':
          d.list.apply(message.entry);
          if (message.entry.kind === 'key') d.keyCache.invalidate(message.entry.keyId);
          return;
        case 'signing-keys.changed':
          await d.onSigningKeysChanged();
          return;
      }
    },

    /** Periodic: reconcile with Postgres (rebuilding a flushed list), drop expired entries everywhere. */
    async maintain(): Promise<void> {
      await reconcile();
      const now = d.clock.now();
      d.list.prune(Math.floor(now / 1000));
      await pruneList(d.redis, d.keys, now);
    },
  };
}

export type RevocationSync = ReturnType<typeof createRevocationSync>;
