import type { Db } from '../storage/db.js';
import { touchLastUsed } from '../storage/api-keys.js';

/** DESIGN.md: `last_used_at` is kept current within a minute. */
const STALENESS_MS = 60_000;
// Flushes run on a timer and take time themselves: keep a margin below the minute.
const FLUSH_JITTER_MS = 5_000;

/**
 * How much newer than the stored time a process's own must be for its flush to rewrite the row.
 * Every process flushes the keys it served; with this bound a key in steady use is rewritten about
 * once per interval whatever the number of processes, not once per process per interval. A use
 * shows within one flush interval, and the stored time is never more than a minute behind.
 */
export function lastUsedMinAdvanceMs(flushSeconds: number): number {
  return Math.max(0, STALENESS_MS - FLUSH_JITTER_MS - flushSeconds * 1000);
}

export type FlushResult = { keys: number; writes: number; rows: number };

/**
 * `last_used_at` without a database write per exchange: the newest use of each key is kept in
 * memory and written in one statement per flush interval (and on shutdown).
 */
export type LastUsedTracker = {
  touch(keyId: string, atMs: number): void;
  /** keys: pending keys sent; writes: statements (0 or 1); rows: rows the statement rewrote. */
  flush(): Promise<FlushResult>;
  pending(): number;
  /** Database statements issued so far: one per non-empty flush. */
  writes(): number;
};

export function createLastUsedTracker(db: Db, minAdvanceMs: number): LastUsedTracker {
  let dirty = new Map<string, number>();
  let flushing: Promise<unknown> | undefined;
  let writes = 0;

  const touch = (keyId: string, atMs: number) => {
    const prev = dirty.get(keyId);
    if (prev === undefined || atMs > prev) dirty.set(keyId, atMs);
  };

  return {
    touch,
    async flush() {
      while (flushing) await flushing.catch(() => undefined);
      const batch = dirty;
      dirty = new Map();
      if (batch.size === 0) return { keys: 0, writes: 0, rows: 0 };
      const work = touchLastUsed(db, [...batch].map(([id, at]) => [id, new Date(at)] as const), minAdvanceMs);
      flushing = work;
      writes++;
      try {
        return { keys: batch.size, writes: 1, rows: await work };
      } catch (err) {
        for (const [id, at] of batch) touch(id, at);
        throw err;
      } finally {
        flushing = undefined;
      }
    },
    pending: () => dirty.size,
    writes: () => writes,
  };
}
