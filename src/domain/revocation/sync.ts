import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { Db } from '../../storage/db.js';
import { deleteExpiredRevocations, listLiveRevocations } from '../../storage/revocations.js';
import { entryId, sameEntry } from './entry.js';
import { applyRevocation, type RevocationMemory, type RevocationObserver } from './propagation.js';
import type { BusMessage, RevocationStore } from '../seams.js';
import type { SessionCache } from '../people/session-cache.js';

export type RevocationSyncDeps = RevocationMemory & {
  metrics: Pick<RevocationObserver, 'revocationApplied'>;
  db: Db;
  revocationStore: RevocationStore;
  clock: Clock;
  log: Logger;
  onSigningKeysChanged(): Promise<void>;
  /** People's sessions, trusted like the key cache (issue 19). */
  sessionCache?: SessionCache;
};

/** Keeps the shared list, this instance's memory and its key cache consistent with Postgres. */
export function createRevocationSync(d: RevocationSyncDeps) {
  const store = d.revocationStore;
  const live = (afterSeq = 0) => listLiveRevocations(d.db, new Date(d.clock.now()), afterSeq);

  /** Rebuilds the shared list from Postgres. */
  async function rebuild(): Promise<void> {
    const rebuilt = await store.withRebuildLock(async () => {
      const snapshot = await live();
      await store.replace(snapshot);
      // Every live entry is published again, not only those committed while the snapshot was written:
      // a verifier whose connection survived the loss (on another Cluster node, or after a failover
      // that dropped writes) never reloads, and would miss what only the rebuilt list holds.
      await store.announce(await live());
      d.log.info({ entries: snapshot.length }, 'revocation-list.rebuilt');
      return true;
    });
    if (rebuilt) return;
    // Someone else is rebuilding: wait for the ready marker rather than trusting a half-built list.
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      if (await store.isReady()) return;
    }
    throw new Error('revocation list rebuild by another instance did not finish');
  }

  async function ensureReady(): Promise<void> {
    if (!(await store.isReady())) await rebuild();
  }

  /**
   * Makes memory and the shared list hold exactly the live entries Postgres holds. Catches what the
   * bus could not carry (revocations made while Redis was unreachable, or by an instance cut off from
   * it) and what was changed in the shared list behind our back: entries missing or edited are
   * announced again, so subscribed verifiers get them too; entries Postgres does not have are dropped.
   */
  async function reconcile(): Promise<void> {
    const entries = await live();
    for (const e of entries) applyRevocation(d, e);
    if (!(await store.isReady())) {
      await rebuild();
      return;
    }
    const held = await store.read();
    const wrong = entries.filter((e) => {
      const h = held.get(entryId(e));
      return h === undefined || !sameEntry(h, e);
    });
    // Only entries older than what Postgres answered: a newer one may have committed since.
    const newestSeq = entries.at(-1)?.seq ?? 0;
    const known = new Set(entries.map(entryId));
    const extra = [...held].filter(([id, e]) => !known.has(id) && (e?.seq ?? 0) <= newestSeq).map(([id]) => id);
    if (wrong.length === 0 && extra.length === 0) return;
    await store.announce(wrong);
    await store.remove(extra);
    d.log.info({ repaired: wrong.length, dropped: extra.length }, 'revocation-list.reconciled');
  }

  return {
    rebuild,
    ensureReady,

    /** After (re)subscribing: whatever happened while we were not listening is read from Postgres. */
    async resync(): Promise<void> {
      d.keyCache.clear();
      d.sessionCache?.clear();
      await reconcile();
      await d.onSigningKeysChanged();
    },

    onDown(): void {
      d.keyCache.clear();
      d.sessionCache?.clear();
    },

    async onMessage(message: BusMessage): Promise<void> {
      switch (message.type) {
        case 'key.changed':
          d.keyCache.invalidate(message.keyId);
          return;
        case 'revocation':
          if (applyRevocation(d, message.entry) && message.committedAtMs !== undefined) {
            d.metrics.revocationApplied((Date.now() - message.committedAtMs) / 1000);
          }
          return;
        case 'signing-keys.changed':
          await d.onSigningKeysChanged();
          return;
        case 'people.changed':
          d.sessionCache?.invalidateUser(message.userId);
          return;
      }
    },

    /** Periodic: reconcile with Postgres (rebuilding a lost list), drop expired entries everywhere. */
    async maintain(): Promise<void> {
      await reconcile();
      const now = d.clock.now();
      d.revocations.prune(Math.floor(now / 1000));
      await store.prune(now);
      await deleteExpiredRevocations(d.db, new Date(now));
    },
  };
}
