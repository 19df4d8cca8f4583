import type { RevocationEntry } from './entry.js';

/**
 * The public wire format (DESIGN.md "Revocation"), the same in the Redis list, on the verifiers'
 * channel, in the HTTP feed and stream. The SDK, packaged on its own, parses it in
 * sdk/src/revocation/entry.ts; its tests run against this service to keep the two in step.
 */
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
    // Unknown until checked: the list in Redis is outside this process's control.
    const v = JSON.parse(raw) as Partial<Record<keyof WireEntry, unknown>>;
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
