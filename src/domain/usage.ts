import type { Clock } from '../clock.js';
import type { Db } from '../storage/db.js';
import { addUsage, deleteUsageBefore, type UsageCount } from '../storage/key-usage.js';
import { serialQueue } from './serial.js';

const HOUR_MS = 3_600_000;
const BATCH = 1_000;

/**
 * Exchanges per key per hour by outcome, counted in memory and written by the flush job in one
 * statement per 1,000 counters: the exchange itself never writes. A crash loses at most what one
 * flush interval counted.
 */
export type UsageCounter = {
  record(key: { id: string; orgId: string }, outcome: string, atMs: number): void;
  flush(): Promise<number>;
  /** Drops hours older than the retention. */
  prune(): Promise<number>;
  pending(): number;
};

/** USAGE_ENABLED=false: nothing counted, nothing written. */
export const noUsageCounter: UsageCounter = {
  record: () => undefined,
  flush: () => Promise.resolve(0),
  prune: () => Promise.resolve(0),
  pending: () => 0,
};

export function createUsageCounter(db: Db, clock: Clock, retentionDays: number): UsageCounter {
  // hour → key ID → outcome → count. Looked up with the strings the caller already holds (their
  // hashes are cached): nothing is built or allocated per exchange once a key has counted this hour.
  type KeyCounts = { orgId: string; outcomes: Map<string, number> };
  let counts = new Map<number, Map<string, KeyCounts>>();
  const serial = serialQueue();

  const add = (keyId: string, orgId: string, hourMs: number, outcome: string, n: number) => {
    let keys = counts.get(hourMs);
    if (keys === undefined) counts.set(hourMs, (keys = new Map<string, KeyCounts>()));
    let key = keys.get(keyId);
    if (key === undefined) keys.set(keyId, (key = { orgId, outcomes: new Map<string, number>() }));
    key.outcomes.set(outcome, (key.outcomes.get(outcome) ?? 0) + n);
  };

  const countsOf = (keys: Map<string, KeyCounts>): UsageCount[] => {
    const rows: UsageCount[] = [];
    for (const [keyId, { orgId, outcomes }] of keys) for (const [outcome, n] of outcomes) rows.push([keyId, orgId, outcome, n]);
    return rows;
  };

  /** Writes what was taken, an hour at a time in statements of at most BATCH counts; what fails goes back. */
  const write = async (taken: Map<number, Map<string, KeyCounts>>) => {
    const hours = [...taken].map(([hourMs, keys]) => ({ hourMs, rows: countsOf(keys) }));
    let written = 0;
    for (let h = 0; h < hours.length; h++) {
      const { hourMs, rows } = hours[h]!;
      for (let i = 0; i < rows.length; i += BATCH) {
        try {
          await addUsage(db, new Date(hourMs), rows.slice(i, i + BATCH));
          written += Math.min(BATCH, rows.length - i);
        } catch (err) {
          // What was not written goes back, to be added at the next flush.
          const unwritten = [{ hourMs, rows: rows.slice(i) }, ...hours.slice(h + 1)];
          for (const u of unwritten) for (const [keyId, orgId, outcome, n] of u.rows) add(keyId, orgId, u.hourMs, outcome, n);
          throw err;
        }
      }
    }
    return written;
  };

  return {
    record(key, outcome, atMs) {
      add(key.id, key.orgId, atMs - (atMs % HOUR_MS), outcome, 1);
    },
    flush: () =>
      serial(() => {
        const taken = counts;
        counts = new Map();
        return write(taken);
      }),
    prune: () => deleteUsageBefore(db, new Date(clock.now() - retentionDays * 86_400_000)),
    pending: () => [...counts.values()].reduce((n, keys) => n + countsOf(keys).length, 0),
  };
}
