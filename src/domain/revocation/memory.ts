import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/db.js';
import { findMatchingRevocation, listLiveRevocations } from '../../storage/revocations.js';
import type { InstanceBus } from '../seams.js';
import type { RevocationLease } from './lease.js';
import type { RevocationEntry } from './entry.js';
import type { RevokedSet } from './revoked-set.js';

type TrustDeps = { bus: Pick<InstanceBus, 'isLive'>; lease: Pick<RevocationLease, 'fresh'> };

/**
 * The one rule for every in-process cache (key records, the revoked set): trusted only while the bus
 * is live, i.e. sure to have heard every change, and the lease is fresh, i.e. Postgres was read lately
 * (lease.ts: pub/sub can lose a message unnoticed). Otherwise answers come from Postgres: slower, never wrong.
 */
export function memoryTrusted(deps: TrustDeps): boolean {
  return deps.bus.isLive() && deps.lease.fresh();
}

export type RevocationLookupDeps = TrustDeps & { db: Db; revocations: RevokedSet };

/** Is this token revoked (its key, or its own jti)? */
export async function isRevoked(deps: RevocationLookupDeps, t: { sub: string; jti: string }): Promise<boolean> {
  if (memoryTrusted(deps)) return deps.revocations.match(t) !== undefined;
  return (await findMatchingRevocation(deps.db, { keyId: t.sub, jti: t.jti })) !== undefined;
}

/** A page of the live list, in seq order. */
export async function liveEntries(
  deps: RevocationLookupDeps & { clock: Clock; sync: { ensureReady(): Promise<void> } },
  afterSeq: number,
  limit: number,
): Promise<RevocationEntry[]> {
  if (memoryTrusted(deps)) {
    // A lost shared list is rebuilt before anyone is told what it holds.
    await deps.sync.ensureReady().catch(() => undefined);
    return deps.revocations.entries(afterSeq, limit);
  }
  return listLiveRevocations(deps.db, new Date(deps.clock.now()), afterSeq, limit);
}
