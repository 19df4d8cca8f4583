import type { Db } from './db.js';

/** Notes that tokens of `ttlSeconds` were being issued at `at` (never moves a time backwards). */
export async function recordTokenLifetime(db: Db, ttlSeconds: number, at: Date): Promise<void> {
  await db.raw(
    `INSERT INTO issued_token_lifetimes (ttl_seconds, last_issued_at) VALUES (?, ?)
     ON CONFLICT (ttl_seconds) DO UPDATE SET last_issued_at = GREATEST(issued_token_lifetimes.last_issued_at, EXCLUDED.last_issued_at)`,
    [ttlSeconds, at],
  );
}

/**
 * The longest lifetime among those whose tokens may still be valid at `now`: issued up to
 * `marginSeconds` after their last record, each living `ttl_seconds`. Undefined when none.
 */
export async function longestLiveTokenLifetime(db: Db, now: Date, marginSeconds: number): Promise<number | undefined> {
  const row = (await db('issued_token_lifetimes')
    .max({ ttl: 'ttl_seconds' })
    .whereRaw('last_issued_at + make_interval(secs => ttl_seconds + ?) > ?', [marginSeconds, now])
    .first()) as { ttl: number | null } | undefined;
  return row?.ttl ?? undefined;
}
