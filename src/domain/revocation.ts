import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { EventBus, PublishResult } from '../storage/event-bus.js';
import type { Redis, RedisKeys } from '../storage/redis.js';
import { encodeEntry, writeEntries } from '../storage/revocation-list.js';
import type { RevocationEntry } from '../storage/revocations.js';
import type { KeyCache } from './key-cache.js';
import type { RevocationList } from './revocation-list.js';

/** Clock skew granted to verifiers: entries outlive the tokens they match by this much. */
export const REVOCATION_SKEW_SECONDS = 60;

export type PropagationDeps = {
  config: Config;
  redis: Redis;
  redisKeys: RedisKeys;
  bus: EventBus;
  revocations: RevocationList;
  keyCache: KeyCache;
  log: Logger;
};

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

/**
 * After Postgres has committed the entry: this instance first, then the Redis list, the public
 * channel for verifiers, and every other instance (waiting for their acknowledgements).
 * Redis failures are logged, not thrown: the revocation is durable, and instances that cannot
 * hear pub/sub read Postgres on every request until they can.
 */
export async function propagateRevocation(deps: PropagationDeps, entry: RevocationEntry): Promise<PublishResult | undefined> {
  deps.revocations.apply(entry);
  if (entry.kind === 'key') deps.keyCache.invalidate(entry.keyId);
  try {
    // Issued in one tick, the three go out as one pipeline on the one connection, and Redis runs
    // them in this order: one round trip (plus the instances' acknowledgements) instead of three.
    const [, , published] = await Promise.all([
      writeEntries(deps.redis, deps.redisKeys, [entry]),
      deps.redis.publish(deps.redisKeys.revocationChannel, encodeEntry(entry)),
      deps.bus.publish({ type: 'revocation', entry }),
    ]);
    return published;
  } catch (err) {
    deps.log.warn({ err, seq: entry.seq, keyId: entry.keyId }, 'revocation.propagation_deferred');
    return undefined;
  }
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
