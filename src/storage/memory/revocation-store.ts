import { entryId, type RevocationEntry } from '../../domain/revocation/entry.js';
import type { RevocationStore } from '../../domain/seams.js';

/**
 * The revocation list of one embedded instance, held in the process. Postgres stays the source of
 * truth (reconcile rebuilds this list from it), and verifiers read the HTTP feed and stream: there is
 * no channel to announce on.
 */
export function createMemoryRevocationStore(): RevocationStore {
  const entries = new Map<string, RevocationEntry>();
  let ready = false;
  // One holder at a time, as the Redis lock gives one rebuilder per deployment.
  let locked = false;

  return {
    async announce(list) {
      for (const e of list) entries.set(entryId(e), e);
    },
    async isReady() {
      return ready;
    },
    async replace(list) {
      entries.clear();
      for (const e of list) entries.set(entryId(e), e);
      ready = true;
    },
    async read() {
      return new Map(entries);
    },
    async remove(ids) {
      for (const id of ids) entries.delete(id);
    },
    async prune(nowMs) {
      let pruned = 0;
      for (const [id, e] of entries) {
        if (e.expiresAt * 1000 <= nowMs) {
          entries.delete(id);
          pruned++;
        }
      }
      return pruned;
    },
    async withRebuildLock(fn) {
      if (locked) return undefined;
      locked = true;
      try {
        return await fn();
      } finally {
        locked = false;
      }
    },
  };
}
