import type { Db } from './db.js';
import { toEntry, type RevocationRow } from './revocations.js';
import type { RevocationEntry } from '../domain/model.js';

/**
 * One round trip of an instance's revocation watch: marks the instance seen (now, by Postgres's clock)
 * and reads the live entries committed after `afterSeq`, in seq order. Entries commit in seq order
 * (the seq lock), so nothing below the highest seq read can appear later.
 */
export async function watchRevocations(
  db: Db,
  q: { deployment: string; instanceId: string; afterSeq: number },
): Promise<RevocationEntry[]> {
  const { rows } = await db.raw<{ rows: RevocationRow[] }>(
    `WITH seen AS (
       INSERT INTO service_instances (deployment, id, seen_at) VALUES (:deployment, :instanceId, now())
       ON CONFLICT (deployment, id) DO UPDATE SET seen_at = EXCLUDED.seen_at
     )
     SELECT * FROM revocations WHERE seq > :afterSeq AND expires_at > now() ORDER BY seq`,
    q,
  );
  return rows.map(toEntry);
}

/** The other instances of the deployment its watch has seen within `withinMs` (Postgres's clock). */
export async function recentInstances(db: Db, q: { deployment: string; instanceId: string; withinMs: number }): Promise<string[]> {
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
    `SELECT id FROM service_instances
      WHERE deployment = :deployment AND id <> :instanceId AND seen_at > now() - make_interval(secs => :withinSeconds)`,
    { deployment: q.deployment, instanceId: q.instanceId, withinSeconds: q.withinMs / 1000 },
  );
  return rows.map((r) => r.id);
}

/** An instance that stops says so; one that crashed is dropped once not seen for `olderThanMs`. */
export async function forgetInstances(db: Db, q: { deployment: string; instanceId?: string; olderThanMs?: number }): Promise<number> {
  const query = db('service_instances').where({ deployment: q.deployment });
  if (q.instanceId !== undefined) query.andWhere({ id: q.instanceId });
  if (q.olderThanMs !== undefined) query.andWhereRaw('seen_at < now() - make_interval(secs => ?)', [q.olderThanMs / 1000]);
  return query.del();
}
