import type { RevocationEntry } from './entry.js';

export type TokenRef = { sub: string; jti: string };

/** The in-process mirror of the revocation list: O(1) answers on the hot path, no I/O. */
export type RevokedSet = {
  /** Adds an entry; returns false if it was already known. */
  apply(entry: RevocationEntry): boolean;
  match(token: TokenRef): RevocationEntry | undefined;
  isKeyRevoked(keyId: string): boolean;
  /** Live entries in sequence order after `afterSeq`, at most `limit` of them. */
  entries(afterSeq?: number, limit?: number): RevocationEntry[];
  /** Calls `listener` for every new entry; returns the unsubscribe function. */
  subscribe(listener: (entry: RevocationEntry) => void): () => void;
  prune(nowSeconds: number): number;
  size(): number;
  /** Highest sequence number seen (0 when empty). */
  maxSeq(): number;
};

/** Index of the first entry whose seq is greater than `seq` (binary search). */
function firstAfter(sorted: RevocationEntry[], seq: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function createRevokedSet(): RevokedSet {
  const byKey = new Map<string, RevocationEntry>();
  const byJti = new Map<string, RevocationEntry>();
  // Ordered by seq, so a stream or a feed page reads a slice instead of sorting the whole list.
  let bySeq: RevocationEntry[] = [];
  let highest = 0;
  const listeners = new Set<(entry: RevocationEntry) => void>();

  const add = (e: RevocationEntry): boolean => {
    const map = e.kind === 'key' ? byKey : byJti;
    const id = e.kind === 'key' ? e.keyId : (e.jti ?? '');
    const previous = map.get(id);
    if (previous?.seq === e.seq) return false;
    if (previous) bySeq = bySeq.filter((x) => x !== previous);
    map.set(id, e);
    // Entries arrive in seq order almost always: append, else insert in place.
    if (e.seq > (bySeq.at(-1)?.seq ?? 0)) bySeq.push(e);
    else bySeq.splice(firstAfter(bySeq, e.seq), 0, e);
    highest = Math.max(highest, e.seq);
    return true;
  };

  return {
    apply(entry) {
      const added = add(entry);
      if (added) for (const l of listeners) l(entry);
      return added;
    },
    // A revoked key refuses every token it has, whenever issued: an instance that had not yet heard
    // of the revoke may have minted some after it.
    match({ sub, jti }) {
      return byKey.get(sub) ?? byJti.get(jti);
    },
    isKeyRevoked: (keyId) => byKey.has(keyId),
    entries(afterSeq = 0, limit = Infinity) {
      const start = firstAfter(bySeq, afterSeq);
      return bySeq.slice(start, start + limit);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    prune(nowSeconds) {
      const kept = bySeq.filter((e) => e.expiresAt > nowSeconds);
      const pruned = bySeq.length - kept.length;
      if (pruned === 0) return 0;
      for (const e of bySeq) {
        if (e.expiresAt > nowSeconds) continue;
        if (e.kind === 'key') byKey.delete(e.keyId);
        else byJti.delete(e.jti ?? '');
      }
      bySeq = kept;
      return pruned;
    },
    size: () => bySeq.length,
    maxSeq: () => highest,
  };
}
