import type { RevocationEntry } from '../storage/revocations.js';

export type TokenRef = { sub: string; jti: string };

/** The in-process mirror of the revocation list: O(1) answers on the hot path, no I/O. */
export type RevocationList = {
  replace(entries: RevocationEntry[]): void;
  /** Adds an entry; returns false if it was already known. */
  apply(entry: RevocationEntry): boolean;
  match(token: TokenRef): RevocationEntry | undefined;
  isKeyRevoked(keyId: string): boolean;
  /** Live entries in sequence order, optionally only those after `seq`. */
  entries(afterSeq?: number): RevocationEntry[];
  /** Calls `listener` for every new entry; returns the unsubscribe function. */
  subscribe(listener: (entry: RevocationEntry) => void): () => void;
  prune(nowSeconds: number): number;
  size(): number;
  /** Highest sequence number seen (0 when empty). */
  maxSeq(): number;
};

export function createRevocationList(): RevocationList {
  let byKey = new Map<string, RevocationEntry>();
  let highest = 0;
  let byJti = new Map<string, RevocationEntry>();
  const listeners = new Set<(entry: RevocationEntry) => void>();

  const add = (e: RevocationEntry): boolean => {
    const map = e.kind === 'key' ? byKey : byJti;
    const id = e.kind === 'key' ? e.keyId : (e.jti ?? '');
    if (map.get(id)?.seq === e.seq) return false;
    map.set(id, e);
    highest = Math.max(highest, e.seq);
    return true;
  };

  return {
    replace(entries) {
      const before = new Set([...byKey.values(), ...byJti.values()].map((e) => e.seq));
      byKey = new Map();
      byJti = new Map();
      for (const e of entries) add(e);
      // Entries that arrived while we were disconnected still reach stream subscribers.
      for (const e of entries) if (!before.has(e.seq)) for (const l of listeners) l(e);
    },
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
    entries(afterSeq = 0) {
      return [...byKey.values(), ...byJti.values()].filter((e) => e.seq > afterSeq).sort((a, b) => a.seq - b.seq);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    prune(nowSeconds) {
      let n = 0;
      for (const map of [byKey, byJti]) {
        for (const [id, e] of map) {
          if (e.expiresAt > nowSeconds) continue;
          map.delete(id);
          n++;
        }
      }
      return n;
    },
    size: () => byKey.size + byJti.size,
    maxSeq: () => highest,
  };
}
