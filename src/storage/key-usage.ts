import type { Db } from './db.js';

/** One key's count of one outcome within an hour: [key ID, org ID, outcome, count]. */
export type UsageCount = readonly [keyId: string, orgId: string, outcome: string, count: number];

/**
 * Adds one hour's counts in one statement (existing rows grow, new ones appear): exact across
 * instances and flushes. The counts travel as one JSON text: a flush of 10,000 keys spent most of
 * its time having pg escape five arrays element by element (bench: BENCH_SCENARIOS=observability).
 */
export async function addUsage(db: Db, hour: Date, counts: readonly UsageCount[]): Promise<void> {
  if (counts.length === 0) return;
  await db.raw(
    `INSERT INTO key_usage (key_id, org_id, hour, outcome, count)
     SELECT c->>0, c->>1, ?::timestamptz, c->>2, (c->>3)::bigint FROM json_array_elements(?::json) AS c
     ON CONFLICT (key_id, hour, outcome) DO UPDATE SET count = key_usage.count + EXCLUDED.count`,
    [hour.toISOString(), JSON.stringify(counts)],
  );
}

export type Granularity = 'hour' | 'day';
export type UsageBucket = { start: Date; outcome: string; count: number };

/** One key's counts in [from, to), by hour or day (UTC) and outcome, oldest first. */
export async function keyUsage(db: Db, q: { keyId: string; from: Date; to: Date; granularity: Granularity }): Promise<UsageBucket[]> {
  const { rows } = await db.raw<{ rows: Array<{ start: Date; outcome: string; count: number }> }>(
    `SELECT date_trunc(?, hour, 'UTC') AS start, outcome, sum(count)::bigint AS count
       FROM key_usage WHERE key_id = ? AND hour >= ? AND hour < ?
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [q.granularity, q.keyId, q.from, q.to],
  );
  return rows;
}

/** An org's counts in [from, to) per key and outcome. */
export async function orgUsage(
  db: Db,
  q: { orgId: string; from: Date; to: Date },
): Promise<Array<{ keyId: string; outcome: string; count: number }>> {
  const { rows } = await db.raw<{ rows: Array<{ key_id: string; outcome: string; count: number }> }>(
    `SELECT key_id, outcome, sum(count)::bigint AS count FROM key_usage
      WHERE org_id = ? AND hour >= ? AND hour < ? GROUP BY 1, 2`,
    [q.orgId, q.from, q.to],
  );
  return rows.map((r) => ({ keyId: r.key_id, outcome: r.outcome, count: r.count }));
}

export async function deleteUsageBefore(db: Db, cutoff: Date): Promise<number> {
  return db('key_usage').where('hour', '<', cutoff).del();
}
