import type { Db } from './db.js';

export type UsageRow = { keyId: string; orgId: string; hour: Date; outcome: string; count: number };

/** Adds counts in one statement (existing rows grow, new ones appear): exact across instances and flushes. */
export async function addUsage(db: Db, rows: readonly UsageRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.raw(
    `INSERT INTO key_usage (key_id, org_id, hour, outcome, count)
     SELECT * FROM unnest(?::text[], ?::text[], ?::timestamptz[], ?::text[], ?::bigint[])
     ON CONFLICT (key_id, hour, outcome) DO UPDATE SET count = key_usage.count + EXCLUDED.count`,
    [
      rows.map((r) => r.keyId),
      rows.map((r) => r.orgId),
      rows.map((r) => r.hour.toISOString()),
      rows.map((r) => r.outcome),
      rows.map((r) => r.count),
    ],
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
