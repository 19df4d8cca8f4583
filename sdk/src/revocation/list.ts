import type { RevocationEntry } from './entry.js';

/**
 * The in-memory revocation list: two Map lookups on the hot path, no I/O.
 * Entries are only ever added (a reload merges) and dropped once expired, so a
 * reload racing a pub/sub message can never un-revoke anything.
 */
export class RevocationList {
  /** Revoked key ID → latest `expires_at` of its entries. */
  readonly #keys = new Map<string, number>();
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
    this.#keys.set(e.keyId, Math.max(e.expiresAt, this.#keys.get(e.keyId) ?? 0));
  }

  /** Records that the source has seen everything up to `seq`, even when no entry carried it. */
  advanceTo(seq: number): void {
    if (seq > this.#lastSeq) this.#lastSeq = seq;
  }

  /**
   * A revoked key refuses every token whose `sub` is that key, whenever it was issued: an instance
   * with a stale key cache may still mint for it after the revoke (DESIGN.md "Revocation").
   * `revoked_at` is informational only. A revoked token refuses its `jti`.
   */
  isRevoked(sub: string, jti: string): boolean {
    return this.#keys.has(sub) || this.#tokens.has(jti);
  }

  /** Drops entries whose `expires_at` is before `beforeSeconds`. */
  prune(beforeSeconds: number): void {
    for (const [id, expiresAt] of this.#keys) if (expiresAt < beforeSeconds) this.#keys.delete(id);
    for (const [jti, expiresAt] of this.#tokens) if (expiresAt < beforeSeconds) this.#tokens.delete(jti);
  }
}
