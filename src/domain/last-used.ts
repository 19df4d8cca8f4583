import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../storage/db.js';
import { touchLastUsed } from '../storage/api-keys.js';
import { serialQueue } from './serial.js';

/** DESIGN.md: `last_used_at` is kept current within a minute. */
const STALENESS_MS = 60_000;
// Flushes run on a timer and take time themselves (a paced one up to its pause budget, 2 s, more
// than its statements): keep a margin below the minute.
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

/** How a timed flush spreads its writes, so one big UPDATE never stalls requests (docs/PERFORMANCE.md, "Latency at 80% of peak"). */
export type FlushPacing = {
  batchSize: number;
  /** Longest pause between two batches. */
  pauseMs: number;
  /** All the pauses of one flush together stay under this, however many batches it has. */
  pauseBudgetMs: number;
};

const DEFAULT_FLUSH_PACING: FlushPacing = { batchSize: 500, pauseMs: 50, pauseBudgetMs: 2_000 };

/**
 * `last_used_at` without a database write per exchange: the newest use of each key is kept in
 * memory and written once per flush interval (and on shutdown), in batches.
 */
export type LastUsedTracker = {
  touch(keyId: string, atMs: number): void;
  /**
   * Writes what is pending. `paced`: with pauses between batches (the timer's flush); without,
   * as fast as it can (shutdown). keys: pending keys sent; writes: statements; rows: rows rewritten.
   */
  flush(options?: { paced?: boolean }): Promise<FlushResult>;
  pending(): number;
  /** Database statements issued so far: one per batch. */
  writes(): number;
};

export function createLastUsedTracker(
  db: Db,
  minAdvanceMs: number,
  pacing: FlushPacing = DEFAULT_FLUSH_PACING,
  pause: (ms: number) => Promise<void> = sleep,
): LastUsedTracker {
  let dirty = new Map<string, number>();
  const serial = serialQueue();
  let writes = 0;

  const touch = (keyId: string, atMs: number) => {
    const prev = dirty.get(keyId);
    if (prev === undefined || atMs > prev) dirty.set(keyId, atMs);
  };

  const write = async (entries: Array<[string, number]>, paced: boolean): Promise<FlushResult> => {
    const batches = Math.ceil(entries.length / pacing.batchSize);
    const pauseMs = Math.min(pacing.pauseMs, pacing.pauseBudgetMs / Math.max(1, batches - 1));
    let rows = 0;
    for (let i = 0; i < entries.length; i += pacing.batchSize) {
      if (i > 0 && paced) await pause(pauseMs);
      const batch = entries.slice(i, i + pacing.batchSize);
      try {
        rows += await touchLastUsed(
          db,
          batch.map(([id, at]) => [id, new Date(at)] as const),
          minAdvanceMs,
        );
        writes++;
      } catch (err) {
        // What was not written goes back, to be tried again at the next flush.
        for (const [id, at] of entries.slice(i)) touch(id, at);
        throw err;
      }
    }
    return { keys: entries.length, writes: batches, rows };
  };

  return {
    touch,
    flush: ({ paced = false } = {}) =>
      serial(async () => {
        const pending = dirty;
        dirty = new Map();
        if (pending.size === 0) return { keys: 0, writes: 0, rows: 0 };
        // Sorted by key ID: every process locks rows in the same order, so two flushes cannot deadlock.
        const entries = [...pending].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return write(entries, paced);
      }),
    pending: () => dirty.size,
    writes: () => writes,
  };
}
