import type { RevocationEntry } from './entry.js';

type KeyRevocation = { revokedAt: number; expiresAt: number };

/**
 * The in-memory revocation list: two Map lookups on the hot path, no I/O.
 * Entries are only ever added (a reload merges) and dropped once expired, so a
 * reload racing a pub/sub message can never un-revoke anything.
 */
export class RevocationList {
  readonly #keys = new Map<string, KeyRevocation>();
  readonly #tokens = new Map<string, number>();
  #lastSeq = 0;

  /** Highest `seq` applied so far (0 before any). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  get size(): number {
    return this.#keys.size + this.#tokens.size;
  }

  apply(e: RevocationEntry): void {
    if (e.seq > this.#lastSeq) this.#lastSeq = e.seq;
    if (e.type === 'token') {
      this.#tokens.set(e.jti, Math.max(e.expiresAt, this.#tokens.get(e.jti) ?? 0));
      return;
    }
    const prev = this.#keys.get(e.keyId);
    this.#keys.set(e.keyId, {
      revokedAt: Math.max(e.revokedAt, prev?.revokedAt ?? 0),
      expiresAt: Math.max(e.expiresAt, prev?.expiresAt ?? 0),
    });
  }

  /** Records that the source has seen everything up to `seq`, even when no entry carried it. */
  advanceTo(seq: number): void {
    if (seq > this.#lastSeq) this.#lastSeq = seq;
  }

  /** A revoked key refuses every token it was issued with `iat` ≤ revoked_at; a revoked token, its `jti`. */
  isRevoked(sub: string, iat: number, jti: string): boolean {
    const key = this.#keys.get(sub);
    if (key !== undefined && iat <= key.revokedAt) return true;
    return this.#tokens.has(jti);
  }

  /** Drops entries whose `expires_at` is before `beforeSeconds`. */
  prune(beforeSeconds: number): void {
    for (const [id, k] of this.#keys) if (k.expiresAt < beforeSeconds) this.#keys.delete(id);
    for (const [jti, expiresAt] of this.#tokens) if (expiresAt < beforeSeconds) this.#tokens.delete(jti);
  }
}
