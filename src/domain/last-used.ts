import type { Db } from '../storage/db.js';
import { touchLastUsed } from '../storage/api-keys.js';

/**
 * `last_used_at` without a database write per exchange: the newest use of each key is kept in
 * memory and written in one statement per flush interval (and on shutdown).
 */
export type LastUsedTracker = {
  touch(keyId: string, atMs: number): void;
  flush(): Promise<{ keys: number; writes: number }>;
  pending(): number;
  /** Database statements issued so far: one per non-empty flush. */
  writes(): number;
};

export function createLastUsedTracker(db: Db): LastUsedTracker {
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
      if (batch.size === 0) return { keys: 0, writes: 0 };
      const work = touchLastUsed(db, [...batch].map(([id, at]) => [id, new Date(at)] as const));
      flushing = work;
      writes++;
      try {
        await work;
        return { keys: batch.size, writes: 1 };
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
