import type { KeyRecord } from './api-keys.js';

/**
 * In-process LRU of key records, positive and negative (`null` = no such key), so the exchange
 * needs no database read in the common case and an unknown key costs the same as a known one.
 * Entries are dropped by pub/sub invalidation; the epoch stops a read that raced an invalidation
 * from caching the stale record it fetched.
 */
export type KeyCache = {
  get(id: string): KeyRecord | null | undefined;
  epoch(): number;
  /** Stores `key` unless an invalidation happened since `epochAtRead`. */
  set(id: string, key: KeyRecord | null, epochAtRead: number): void;
  invalidate(id: string): void;
  clear(): void;
  size(): number;
  /** Look-ups so far: answered from memory, missed, or bypassed while memory could not be trusted. */
  readonly lookups: { hit: number; miss: number; bypass: number };
};

export function createKeyCache(maxEntries: number, ttlMs: number, now: () => number): KeyCache {
  const entries = new Map<string, { key: KeyRecord | null; storedAt: number }>();
  let epoch = 0;
  // Plain counts, read by the metrics on scrape: nothing on the hot path but an increment.
  const lookups = { hit: 0, miss: 0, bypass: 0 };
  return {
    lookups,
    get(id) {
      const hit = entries.get(id);
      if (!hit) {
        lookups.miss++;
        return undefined;
      }
      // A bounded age is a backstop in case an invalidation message was ever lost.
      if (now() - hit.storedAt > ttlMs) {
        entries.delete(id);
        lookups.miss++;
        return undefined;
      }
      lookups.hit++;
      entries.delete(id);
      entries.set(id, hit); // most recently used goes last
      return hit.key;
    },
    epoch: () => epoch,
    set(id, key, epochAtRead) {
      if (epochAtRead !== epoch) return;
      entries.set(id, { key, storedAt: now() });
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    invalidate(id) {
      entries.delete(id);
      epoch++;
    },
    clear() {
      entries.clear();
      epoch++;
    },
    size: () => entries.size,
  };
}
