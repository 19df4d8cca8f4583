import type { Claims } from './claims.js';

type Entry = { claims: Claims; kid: string };

/**
 * Tokens whose signature and claims have been verified, keyed by the exact token string, at most
 * `maxEntries` of them (the oldest goes first). An entry is only a shortcut past the signature
 * check: its expiry and its key are checked on every hit, revocation and scopes by the caller.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number) {}

  /** The claims of `token` if it is cached, not expired (with `toleranceSeconds`) and its key is still current. */
  get(token: string, nowSeconds: number, toleranceSeconds: number, isCurrentKey: (kid: string) => boolean): Claims | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    // jose's rule: expired once exp <= now - tolerance. A withdrawn key ends the entry too.
    if (entry.claims.exp <= nowSeconds - toleranceSeconds || !isCurrentKey(entry.kid)) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.claims;
  }

  set(token: string, claims: Claims, kid: string): void {
    if (this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { claims, kid });
  }

  /** Drops entries expired (with `toleranceSeconds`) by `nowSeconds`. */
  prune(nowSeconds: number, toleranceSeconds: number): void {
    for (const [token, entry] of this.entries) if (entry.claims.exp <= nowSeconds - toleranceSeconds) this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
