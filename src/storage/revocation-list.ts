import type { RevocationEntry } from './revocations.js';
import type { Redis, RedisKeys } from './redis.js';

/** An entry's field in the hash (and member in the expiry set). */
export const entryField = (e: Pick<RevocationEntry, 'kind' | 'keyId' | 'jti'>): string => (e.kind === 'key' ? `key:${e.keyId}` : `jti:${e.jti}`);
/** The entries hash's own marker field (DESIGN: verifiers load the list only once it is present). */
export const READY_FIELD = 'ready';

/** The public wire format, shared by the Redis list, the pub/sub channel, the HTTP feed and the SDK. */
export type WireEntry = {
  seq: number;
  type: 'key' | 'token';
  key_id: string;
  jti?: string;
  revoked_at: number;
  expires_at: number;
};

export function toWire(e: RevocationEntry): WireEntry {
  return {
    seq: e.seq,
    type: e.kind,
    key_id: e.keyId,
    ...(e.kind === 'token' && e.jti ? { jti: e.jti } : {}),
    revoked_at: e.revokedAt,
    expires_at: e.expiresAt,
  };
}

export function encodeEntry(e: RevocationEntry): string {
  return JSON.stringify(toWire(e));
}

export function decodeEntry(raw: string): RevocationEntry | undefined {
  try {
    const v = JSON.parse(raw) as WireEntry;
    if (typeof v.seq !== 'number' || typeof v.key_id !== 'string' || typeof v.revoked_at !== 'number' || typeof v.expires_at !== 'number') {
      return undefined;
    }
    if (v.type === 'key') return { seq: v.seq, kind: 'key', keyId: v.key_id, jti: null, revokedAt: v.revoked_at, expiresAt: v.expires_at };
    if (v.type === 'token' && typeof v.jti === 'string') {
      return { seq: v.seq, kind: 'token', keyId: v.key_id, jti: v.jti, revokedAt: v.revoked_at, expiresAt: v.expires_at };
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** Adds entries to the Redis-held list (idempotent: same field, same value). */
export async function writeEntries(redis: Redis, keys: RedisKeys, entries: RevocationEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const multi = redis.multi();
  for (const e of entries) {
    multi.hset(keys.revocationEntries, entryField(e), encodeEntry(e));
    multi.zadd(keys.revocationExpiry, e.expiresAt * 1000, entryField(e));
  }
  await multi.exec();
}

/** The list as Redis holds it: each entry's field → its encoded value, without the marker. */
export async function readEncodedEntries(redis: Redis, keys: RedisKeys): Promise<Map<string, string>> {
  const all = await redis.hgetall(keys.revocationEntries);
  delete all[READY_FIELD];
  return new Map(Object.entries(all));
}

export async function deleteEntries(redis: Redis, keys: RedisKeys, fields: string[]): Promise<void> {
  if (fields.length === 0) return;
  await redis.multi().hdel(keys.revocationEntries, ...fields).zrem(keys.revocationExpiry, ...fields).exec();
}

export async function isListReady(redis: Redis, keys: RedisKeys): Promise<boolean> {
  return (await redis.hexists(keys.revocationEntries, READY_FIELD)) === 1;
}

/** Replaces the list with `entries` and marks it ready, atomically. */
export async function replaceList(redis: Redis, keys: RedisKeys, entries: RevocationEntry[]): Promise<void> {
  const multi = redis.multi().del(keys.revocationEntries, keys.revocationExpiry);
  for (const e of entries) {
    multi.hset(keys.revocationEntries, entryField(e), encodeEntry(e));
    multi.zadd(keys.revocationExpiry, e.expiresAt * 1000, entryField(e));
  }
  multi.hset(keys.revocationEntries, READY_FIELD, String(Date.now()));
  await multi.exec();
}

/** Drops entries whose every matching token has expired. */
export async function pruneList(redis: Redis, keys: RedisKeys, nowMs: number): Promise<number> {
  const expired = await redis.zrangebyscore(keys.revocationExpiry, 0, nowMs);
  await deleteEntries(redis, keys, expired);
  return expired.length;
}

/** A short lock so that after a flush one instance rebuilds the list, not all of them. */
export async function acquireRebuildLock(redis: Redis, keys: RedisKeys, token: string, ttlMs: number): Promise<boolean> {
  return (await redis.set(keys.revocationRebuildLock, token, 'PX', ttlMs, 'NX')) === 'OK';
}

export async function releaseRebuildLock(redis: Redis, keys: RedisKeys, token: string): Promise<void> {
  // Delete only our own lock (compare-and-delete in one step).
  await redis.eval(
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
    1,
    keys.revocationRebuildLock,
    token,
  );
}
