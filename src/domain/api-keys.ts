import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { generateSecret, hashSecret, secretHint } from '../crypto/secrets.js';
import { newId } from '../ids.js';
import { findKeyById, insertKey } from '../storage/api-keys.js';
import type { ApiKey, Environment, KeyStatus } from './model.js';
import type { Db } from '../storage/db.js';
import type { InstanceBus } from './seams.js';
import { memoryTrusted } from './revocation/memory.js';
import type { RevocationLease } from './revocation/lease.js';
import type { KeyCache } from './key-cache.js';
import type { Span } from '@opentelemetry/api';
import { inSpan, tracing } from '../tracing.js';

export type NewKeyInput = {
  orgId: string;
  name: string;
  description?: string;
  environment: Environment;
  scopes: string[];
  audiences: string[];
  allowedCidrs?: string[];
  expiresAt: Date | null;
  createdBy: string | null;
  logExchanges?: boolean;
  /** The person the key belongs to; null (the default) for a key made by a key or the CLI. */
  ownerUserId?: string | null;
};

/** The secret exists only in this return value: it is stored as an HMAC and never again shown. */
export type CreatedKey = { key: ApiKey; secret: string };

export async function createApiKey(
  deps: { config: Config; clock: Clock },
  trx: Db | Knex.Transaction,
  input: NewKeyInput,
): Promise<CreatedKey> {
  const now = new Date(deps.clock.now());
  const secret = generateSecret(input.environment);
  const key: ApiKey = {
    id: newId('key', now.getTime()),
    orgId: input.orgId,
    name: input.name,
    description: input.description ?? '',
    environment: input.environment,
    scopes: input.scopes,
    audiences: input.audiences,
    allowedCidrs: input.allowedCidrs ?? [],
    secretHash: hashSecret(deps.config.secretPepper, secret),
    secretHint: secretHint(secret),
    createdAt: now,
    createdBy: input.createdBy,
    updatedAt: now,
    expiresAt: input.expiresAt,
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
    lastUsedAt: null,
    replacedBy: null,
    logExchanges: input.logExchanges ?? false,
    ownerUserId: input.ownerUserId ?? null,
  };
  await insertKey(trx, key);
  return { key, secret };
}

export function keyStatus(key: Pick<ApiKey, 'revokedAt' | 'expiresAt'>, nowMs: number): KeyStatus {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && key.expiresAt.getTime() <= nowMs) return 'expired';
  return 'active';
}

/** What the hot path needs of a key. It is what the in-process cache holds, so it is kept small. */
export type KeyRecord = Pick<
  ApiKey,
  'id' | 'orgId' | 'environment' | 'scopes' | 'audiences' | 'allowedCidrs' | 'secretHash' | 'expiresAt' | 'revokedAt' | 'logExchanges'
>;

function toRecord(k: ApiKey): KeyRecord {
  // An unpooled copy: a 32-byte slice of a shared 8 KB Buffer pool would keep the whole slab alive
  // for as long as the key stays cached.
  const secretHash = Buffer.allocUnsafeSlow(k.secretHash.length);
  k.secretHash.copy(secretHash);
  return {
    id: k.id,
    orgId: k.orgId,
    environment: k.environment,
    scopes: k.scopes,
    audiences: k.audiences,
    allowedCidrs: k.allowedCidrs,
    secretHash,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
    logExchanges: k.logExchanges,
  };
}

export type KeyLookupDeps = { db: Db; keyCache: KeyCache; bus: Pick<InstanceBus, 'isLive'>; lease: Pick<RevocationLease, 'fresh'> };

/**
 * A key record for the hot path: from the in-process cache while pub/sub keeps it honest,
 * straight from Postgres while it cannot (slower, never wrong).
 */
export function loadKey(deps: KeyLookupDeps, keyId: string): Promise<KeyRecord | undefined> {
  // Off: no wrapper, not even a closure (the hot path; docs/PERFORMANCE.md).
  if (!tracing.on) return lookupKey(deps, keyId);
  return inSpan('key.lookup', { 'scope_auth.key_id': keyId }, (span) => lookupKey(deps, keyId, span));
}

async function lookupKey(deps: KeyLookupDeps, keyId: string, span?: Span): Promise<KeyRecord | undefined> {
  if (!memoryTrusted(deps)) {
    span?.setAttribute('scope_auth.key_cache', 'bypass');
    deps.keyCache.lookups.bypass++;
    const key = await findKeyById(deps.db, keyId);
    return key && toRecord(key);
  }
  const cached = deps.keyCache.get(keyId);
  span?.setAttribute('scope_auth.key_cache', cached === undefined ? 'miss' : 'hit');
  if (cached !== undefined) return cached ?? undefined;
  const epoch = deps.keyCache.epoch();
  const found = await findKeyById(deps.db, keyId);
  const record = found ? toRecord(found) : undefined;
  deps.keyCache.set(keyId, record ?? null, epoch);
  return record;
}
