import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log.js';
import type { KeyCache } from '../key-cache.js';
import type { RevocationEntry } from './entry.js';
import type { RevokedSet } from './revoked-set.js';
import type { InstanceBus, PublishResult, RevocationStore } from '../seams.js';
import type { RevocationLease } from './lease.js';

/** Clock skew granted to verifiers: entries outlive the tokens they match by this much. */
export const REVOCATION_SKEW_SECONDS = 60;

/**
 * How long after a revoke an instance that has not yet heard of it may still mint tokens for the key:
 * until it notices its stalled subscription or its periodic reconcile reads Postgres (a few seconds;
 * this bound is generous). The key's entry refuses those tokens too, so it outlives them.
 */
export const STALE_MINT_SECONDS = 60;

/**
 * A key's entry refuses every token of the key, whenever issued; it can be dropped once the last
 * token the key could hold has expired: `longestTtlSeconds` (the longest lifetime in circulation)
 * after the last moment anyone may still have minted one, plus verifiers' clock skew.
 */
export function keyRevocationTimes(longestTtlSeconds: number, nowMs: number): { revokedAt: number; expiresAt: number } {
  const revokedAt = Math.ceil(nowMs / 1000);
  return { revokedAt, expiresAt: revokedAt + STALE_MINT_SECONDS + longestTtlSeconds + REVOCATION_SKEW_SECONDS };
}

/** What this instance holds in memory about revocations. */
export type RevocationMemory = { revocations: RevokedSet; keyCache: KeyCache };

/** The one way an entry reaches this instance's memory: the set refuses it, the cache forgets its key. Answers whether it was new. */
export function applyRevocation(m: RevocationMemory, entry: RevocationEntry): boolean {
  const added = m.revocations.apply(entry);
  if (added && entry.kind === 'key') m.keyCache.invalidate(entry.keyId);
  return added;
}

/** What the metrics hear of revocations. */
export type RevocationObserver = { revocationMade(): void; revocationApplied(delaySeconds: number): void };

export type PropagationDeps = RevocationMemory & {
  revocationStore: RevocationStore;
  bus: InstanceBus;
  lease: RevocationLease;
  log: Logger;
  metrics: RevocationObserver;
};

/**
 * After Postgres has committed the entry: this instance first, then the shared list and the
 * verifiers (announce), and every other instance (waiting for their acknowledgements).
 * Shared-store failures are logged, not thrown: the revocation is durable. Unless every peer the
 * lease knows of has acknowledged it, this answers only once the peers' leases have outlived the
 * commit: a revoke that returns is then refused by every instance, whatever pub/sub lost.
 */
export async function propagateRevocation(deps: PropagationDeps, entry: RevocationEntry): Promise<PublishResult | undefined> {
  const committedAtMs = Date.now();
  const committedAt = performance.now();
  applyRevocation(deps, entry);
  deps.metrics.revocationMade();
  deps.metrics.revocationApplied(0);
  // The list's write and the peers' query go out together; the publish names the peers to wait for.
  const [announced, published] = await Promise.allSettled([
    deps.revocationStore.announce([entry]),
    deps.lease.peers().then((peers) => deps.bus.publish({ type: 'revocation', entry, committedAtMs }, peers)),
  ]);
  for (const r of [announced, published])
    if (r.status === 'rejected') deps.log.warn({ err: r.reason, seq: entry.seq, keyId: entry.keyId }, 'revocation.propagation_deferred');
  const result = published.status === 'fulfilled' ? published.value : undefined;
  if (result === undefined || (result.missing?.length ?? 0) > 0) {
    deps.log.warn({ seq: entry.seq, missing: result?.missing?.length, waitMs: deps.lease.leaseMs }, 'revocation.unconfirmed');
    await deps.lease.outlived(committedAt);
  }
  return result;
}

/** A key's record changed (scopes, expiry, allowlist): every instance drops its cached copy. */
export async function propagateKeyChange(deps: PropagationDeps, keyId: string): Promise<void> {
  deps.keyCache.invalidate(keyId);
  try {
    await deps.bus.publish({ type: 'key.changed', keyId });
  } catch (err) {
    deps.log.warn({ err, keyId }, 'key-change.propagation_deferred');
  }
}
