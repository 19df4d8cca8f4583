import { isRecord } from '../json.js';

/**
 * One revocation, camelCased from the wire format (DESIGN.md "Revocation"). Times in unix seconds;
 * `revokedAt` is informational (a key entry refuses every token of the key, whatever its `iat`).
 */
export type RevocationEntry =
  | { seq: number; type: 'key'; keyId: string; revokedAt: number; expiresAt: number }
  | { seq: number; type: 'token'; keyId: string; jti: string; revokedAt: number; expiresAt: number };

/**
 * Reads one entry in the wire format
 * `{"seq","type":"key"|"token","key_id","jti"?,"revoked_at","expires_at"}`; anything else is `undefined`.
 */
export function parseEntry(value: unknown): RevocationEntry | undefined {
  if (!isRecord(value)) return undefined;
  const { seq, type, key_id, jti, revoked_at, expires_at } = value;
  if (!isInt(seq) || typeof key_id !== 'string' || !isInt(revoked_at) || !isInt(expires_at)) return undefined;
  const common = { seq, keyId: key_id, revokedAt: revoked_at, expiresAt: expires_at };
  if (type === 'key') return { ...common, type };
  if (type === 'token' && typeof jti === 'string' && jti.length > 0) return { ...common, type, jti };
  return undefined;
}

/** Parses entry JSON text (a Redis hash value, a pub/sub message, an SSE `data` field). */
export function parseEntryJson(text: string): RevocationEntry | undefined {
  try {
    return parseEntry(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}
