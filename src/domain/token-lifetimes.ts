import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../storage/db.js';
import { longestLiveTokenLifetime, recordTokenLifetime } from '../storage/token-lifetimes.js';

/** How often each instance records the lifetime it issues with, seconds. */
export const TOKEN_LIFETIME_RECORD_SECONDS = 30;

/**
 * The longest access-token lifetime still in circulation. A key revocation entry lives that long
 * (plus skew), so lowering TOKEN_TTL_SECONDS and restarting never lets a token minted under the
 * longer lifetime outlive its key's entry.
 */
export type TokenLifetimes = {
  longestSeconds(): number;
  /** Records this instance's lifetime and reloads the longest one in circulation. */
  refresh(): Promise<void>;
};

export function createTokenLifetimes(deps: { db: Db; config: Config; clock: Clock }): TokenLifetimes {
  const own = deps.config.tokenTtlSeconds;
  let longest = own;
  return {
    longestSeconds: () => longest,
    async refresh() {
      const now = new Date(deps.clock.now());
      await recordTokenLifetime(deps.db, own, now);
      // Tokens keep being issued between two records: a margin of two record intervals.
      const live = await longestLiveTokenLifetime(deps.db, now, 2 * TOKEN_LIFETIME_RECORD_SECONDS);
      longest = Math.max(own, live ?? 0);
    },
  };
}
