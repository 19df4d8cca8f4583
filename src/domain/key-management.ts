import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { findKeyById, findKeyForUpdate, listKeys, updateKey, type KeyChanges } from '../storage/api-keys.js';
import type { ApiKey, Environment, KeyStatus, Role } from './model.js';
import { assertFitsCatalogue } from './resources.js';
import type { Db } from '../storage/db.js';
import { revokeKeyRecord } from '../storage/key-revocation.js';
import { createApiKey, type CreatedKey } from './api-keys.js';
import type { Actor, AuditInput, AuditLog, RequestContext } from './audit.js';
import { keyRevocationTimes, propagateKeyChange, propagateRevocation, type PropagationDeps } from './revocation/propagation.js';
import { assertGrantable, assertMayLoosen, assertNotRevived, assertOwnerMayHold, mayManage, ownKeysOf } from './key-rules.js';
import type { TokenLifetimes } from './token-lifetimes.js';

export type ManagementDeps = PropagationDeps & { config: Config; db: Db; clock: Clock; audit: AuditLog; lifetimes: TokenLifetimes };

/**
 * Who is acting (the key behind a bearer token, or the CLI), within which org, with which management
 * scopes it may grant, and where the call came from.
 */
export type Caller = {
  orgId: string;
  actor: Actor;
  scopes: readonly string[];
  context?: RequestContext;
  /** A signed-in person: keys they make are theirs, and without `keys:all` they see only their own. */
  person?: { userId: string; role: Role };
};

/** What `created_by` / `revoked_by` record: the actor's ID, or its kind when it has none (`cli`). */
const actorRef = (actor: Actor): string => actor.id ?? actor.type;

const keyAction = (caller: Caller, action: string, keyId: string, detail: Record<string, unknown>): AuditInput => ({
  orgId: caller.orgId,
  action,
  actor: caller.actor,
  target: { type: 'key', id: keyId },
  context: caller.context,
  detail,
});

/** One audit record per management action, in the action's own transaction. */
function auditKeyAction(
  deps: ManagementDeps,
  trx: Knex.Transaction,
  caller: Caller,
  action: string,
  keyId: string,
  detail: Record<string, unknown>,
) {
  return deps.audit.write(trx, keyAction(caller, action, keyId, detail));
}

const notFound = (id: string) => new AppError('not_found', `key ${id.slice(0, 64)} not found`);

/** Loads a key of the caller's org; another org's key is indistinguishable from a missing one. */
async function lockKey(trx: Knex.Transaction, caller: Caller, id: string): Promise<ApiKey> {
  const key = await findKeyForUpdate(trx, caller.orgId, id);
  if (!key || !mayManage(caller, key)) throw notFound(id);
  return key;
}

export type CreateKeyInput = {
  name: string;
  description?: string;
  environment: Environment;
  scopes: string[];
  audiences: string[];
  allowedCidrs: string[];
  expiresAt: Date | null;
  logExchanges?: boolean;
};

export async function createKeyAs(deps: ManagementDeps, caller: Caller, input: CreateKeyInput): Promise<CreatedKey> {
  assertGrantable(caller, input.scopes);
  if (input.expiresAt && input.expiresAt.getTime() <= deps.clock.now()) {
    throw new AppError('invalid_request', 'expires_at must be in the future');
  }
  return deps.db.transaction(async (trx) => {
    await assertFitsCatalogue(deps, trx, caller.orgId, input);
    return createKeyIn(deps, trx, caller, input);
  });
}

/** The one way a key is made: the key and its `key.created` record, in the caller's transaction. */
export async function createKeyIn(
  deps: Pick<ManagementDeps, 'config' | 'clock' | 'audit'>,
  trx: Knex.Transaction,
  caller: Caller,
  input: CreateKeyInput,
  auditDetail: Record<string, unknown> = {},
): Promise<CreatedKey> {
  const created = await createApiKey(deps, trx, {
    ...input,
    orgId: caller.orgId,
    createdBy: actorRef(caller.actor),
    ownerUserId: caller.person?.userId ?? null,
  });
  await deps.audit.write(trx, keyCreated(caller, created.key, auditDetail));
  return created;
}

/** The `key.created` record, the same for every way a key is made. */
function keyCreated(caller: Caller, key: ApiKey, extra: Record<string, unknown> = {}): AuditInput {
  return keyAction(caller, 'key.created', key.id, {
    name: key.name,
    scopes: key.scopes,
    audiences: key.audiences,
    environment: key.environment,
    ...extra,
  });
}

export async function getKey(deps: ManagementDeps, caller: Caller, id: string): Promise<ApiKey> {
  const key = await findKeyById(deps.db, id);
  if (!key || key.orgId !== caller.orgId || !mayManage(caller, key)) throw notFound(id);
  return key;
}

export type ListKeysInput = {
  status?: KeyStatus;
  environment?: Environment;
  ownerUserId?: string;
  unusedForDays?: number;
  /** Only keys whose name contains this text, in any case. */
  nameContains?: string;
  limit: number;
  before?: string;
};

/** One page, newest first; `nextBefore` is set when more may follow. */
export async function listKeysPage(
  deps: ManagementDeps,
  caller: Caller,
  q: ListKeysInput,
): Promise<{ keys: ApiKey[]; nextBefore?: string }> {
  const own = ownKeysOf(caller);
  // A developer asking for someone else's keys gets an empty page, as for a stranger's ID.
  if (own !== undefined && q.ownerUserId !== undefined && q.ownerUserId !== own) return { keys: [] };
  const rows = await listKeys(deps.db, {
    ...q,
    ownerUserId: own ?? q.ownerUserId,
    orgId: caller.orgId,
    limit: q.limit + 1,
    now: new Date(deps.clock.now()),
  });
  const keys = rows.slice(0, q.limit);
  return { keys, nextBefore: rows.length > q.limit ? keys.at(-1)?.id : undefined };
}

export type KeyPatch = Pick<KeyChanges, 'name' | 'description' | 'scopes' | 'audiences' | 'allowedCidrs' | 'expiresAt' | 'logExchanges'>;

export async function updateKeyAs(deps: ManagementDeps, caller: Caller, id: string, patch: KeyPatch): Promise<ApiKey> {
  const updated = await deps.db.transaction(async (trx) => {
    const key = await lockKey(trx, caller, id);
    if (key.revokedAt) throw new AppError('conflict', 'a revoked key cannot be changed');
    assertNotRevived(key, patch, deps.clock.now());
    if (patch.expiresAt && patch.expiresAt.getTime() <= deps.clock.now()) {
      throw new AppError('invalid_request', 'expires_at must be in the future; revoke the key to stop it now');
    }
    // Scopes the key already holds are kept, not granted: narrowing stays possible.
    if (patch.scopes)
      assertGrantable(
        caller,
        patch.scopes.filter((s) => !key.scopes.includes(s)),
      );
    if (patch.scopes) await assertOwnerMayHold(trx, key, patch.scopes);
    if (patch.scopes || patch.audiences)
      await assertFitsCatalogue(deps, trx, key.orgId, { scopes: patch.scopes ?? key.scopes, audiences: patch.audiences ?? key.audiences });
    assertMayLoosen(caller, key, patch, deps.config.defaultAudience);
    const changed = await updateKey(trx, id, patch, new Date(deps.clock.now()));
    const fields = Object.keys(patch).filter((k) => patch[k as keyof KeyPatch] !== undefined);
    await auditKeyAction(deps, trx, caller, 'key.updated', id, { fields });
    return changed;
  });
  await propagateKeyChange(deps, id);
  return updated;
}

/** One-way and idempotent: revoking a revoked key changes nothing and answers the same. */
export async function revokeKeyAs(deps: ManagementDeps, caller: Caller, id: string, reason: string | null): Promise<ApiKey> {
  if (ownKeysOf(caller) !== undefined) await getKey(deps, caller, id);
  const revoked = await revokeRecord(deps, caller, id, reason);
  if (!revoked) return getKey(deps, caller, id); // already revoked, or not found
  // Only once committed: Postgres is the source of truth the Redis list is rebuilt from.
  await propagateRevocation(deps, revoked.entry);
  return revoked.key;
}

/** Undefined when the caller's org has no live key `id`. */
function revokeRecord(deps: ManagementDeps, caller: Caller, id: string, reason: string | null) {
  const nowMs = deps.clock.now();
  return revokeKeyRecord(deps.db, {
    orgId: caller.orgId,
    keyId: id,
    revokedAt: new Date(nowMs),
    revokedBy: actorRef(caller.actor),
    reason,
    entry: keyRevocationTimes(deps.lifetimes.longestSeconds(), nowMs),
    audit: deps.audit.event(keyAction(caller, 'key.revoked', id, { reason })),
  });
}

export const MAX_GRACE_PERIOD_SECONDS = 30 * 86_400;

/**
 * A replacement with the same settings; the old key expires now or, with a grace period, when it
 * ends so clients can switch over.
 */
export async function rotateKeyAs(
  deps: ManagementDeps,
  caller: Caller,
  id: string,
  gracePeriodSeconds: number,
): Promise<{ created: CreatedKey; old: ApiKey }> {
  const result = await deps.db.transaction(async (trx) => {
    const old = await lockKey(trx, caller, id);
    if (old.revokedAt) throw new AppError('conflict', 'a revoked key cannot be rotated');
    if (old.replacedBy) throw new AppError('conflict', `key was already rotated; rotate its replacement ${old.replacedBy}`);
    const nowMs = deps.clock.now();
    if (old.expiresAt && old.expiresAt.getTime() <= nowMs) throw new AppError('conflict', 'an expired key cannot be rotated');
    assertGrantable(caller, old.scopes);
    // Keep the old key's lifetime rather than its (nearer) expiry date.
    const lifetimeMs = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : null;
    const created = await createApiKey(deps, trx, {
      orgId: old.orgId,
      name: old.name,
      description: old.description,
      environment: old.environment,
      scopes: old.scopes,
      audiences: old.audiences,
      allowedCidrs: old.allowedCidrs,
      logExchanges: old.logExchanges,
      expiresAt: lifetimeMs === null ? null : new Date(nowMs + lifetimeMs),
      createdBy: actorRef(caller.actor),
      ownerUserId: old.ownerUserId,
    });
    // The old key keeps working until the grace period ends (never past its own expiry); without
    // one it expires now. Expiry, not revocation: tokens it issued live out their short lifetime,
    // as at the end of a grace period. A leaked key is revoked, which also refuses its tokens.
    const expiresAt = new Date(Math.min(nowMs + gracePeriodSeconds * 1000, old.expiresAt?.getTime() ?? Infinity));
    const updated = await updateKey(trx, old.id, { replacedBy: created.key.id, expiresAt }, new Date(nowMs));
    await auditKeyAction(deps, trx, caller, 'key.rotated', old.id, {
      replaced_by: created.key.id,
      grace_period_seconds: gracePeriodSeconds,
    });
    await deps.audit.write(trx, keyCreated(caller, created.key, { rotated_from: old.id }));
    return { created, old: updated };
  });
  await propagateKeyChange(deps, result.old.id);
  return { created: result.created, old: result.old };
}
