import type { Clock } from '../clock.js';
import type { Db } from '../storage/db.js';
import { addUsage, deleteUsageBefore } from '../storage/key-usage.js';
import { serialQueue } from './serial.js';

const HOUR_MS = 3_600_000;
const BATCH = 1_000;

type Pending = { keyId: string; orgId: string; hourMs: number; outcome: string; count: number };

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
  let counts = new Map<string, Pending>();
  const serial = serialQueue();

  const add = (p: Pending) => {
    const id = `${p.keyId}|${p.hourMs}|${p.outcome}`;
    const known = counts.get(id);
    if (known) known.count += p.count;
    else counts.set(id, { ...p });
  };

  const write = async (rows: Pending[]) => {
    for (let i = 0; i < rows.length; i += BATCH) {
      try {
        await addUsage(
          db,
          rows.slice(i, i + BATCH).map((r) => ({ ...r, hour: new Date(r.hourMs) })),
        );
      } catch (err) {
        // What was not written goes back, to be added at the next flush.
        for (const r of rows.slice(i)) add(r);
        throw err;
      }
    }
    return rows.length;
  };

  return {
    record(key, outcome, atMs) {
      add({ keyId: key.id, orgId: key.orgId, hourMs: atMs - (atMs % HOUR_MS), outcome, count: 1 });
    },
    flush: () =>
      serial(() => {
        const rows = [...counts.values()];
        counts = new Map();
        return write(rows);
      }),
    prune: () => deleteUsageBefore(db, new Date(clock.now() - retentionDays * 86_400_000)),
    pending: () => counts.size,
  };
}
