/** One revoked key (every token with `sub` = keyId, whenever issued) or one revoked token (`jti`). */
export type RevocationEntry = {
  seq: number;
  kind: 'key' | 'token';
  keyId: string;
  jti: string | null;
  /** Unix seconds. */
  revokedAt: number;
  /** Unix seconds: after this no token the entry could match is still valid. */
  expiresAt: number;
};

/** An entry's identity in every list that holds it: one per key, one per token. */
export const entryId = (e: Pick<RevocationEntry, 'kind' | 'keyId' | 'jti'>): string =>
  e.kind === 'key' ? `key:${e.keyId}` : `jti:${e.jti}`;

export const sameEntry = (a: RevocationEntry, b: RevocationEntry): boolean =>
  a.seq === b.seq &&
  a.kind === b.kind &&
  a.keyId === b.keyId &&
  a.jti === b.jti &&
  a.revokedAt === b.revokedAt &&
  a.expiresAt === b.expiresAt;
