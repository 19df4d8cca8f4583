import { fakeClock } from '../../src/clock.js';
import { createUsageCounter } from '../../src/domain/usage.js';
import { createDb, type Db } from '../../src/storage/db.js';
import { isolatedDatabase } from '../support/databases.js';

const HOUR = 3_600_000;

/** The usage flush itself, on a database of its own: batches, hours, and what a failed write leaves. */
describe('usage flush', () => {
  let db: Db;
  beforeAll(async () => {
    db = createDb(await isolatedDatabase('usage_flush'), 2);
  });
  afterAll(async () => db.destroy());

  const totals = async () => {
    const { rows } = await db.raw<{ rows: Array<{ key_id: string; hour: Date; outcome: string; n: string }> }>(
      'SELECT key_id, hour, outcome, sum(count) AS n FROM key_usage GROUP BY 1, 2, 3',
    );
    return rows.map((r) => ({ key: r.key_id, hour: r.hour.getTime(), outcome: r.outcome, n: Number(r.n) }));
  };

  it('writes 2,500 keys of one hour in statements of 1,000 and the next hour apart; a failed flush loses nothing', async () => {
    const clock = fakeClock();
    const usage = createUsageCounter(db, clock, 90);
    const hourA = Math.floor(Date.UTC(2026, 10, 30, 9) / HOUR) * HOUR;
    const keys = Array.from({ length: 2_500 }, (_, i) => ({ id: `key_${String(i).padStart(26, '0')}`, orgId: 'org_flush' }));
    for (const k of keys) usage.record(k, 'issued', hourA + 1_000);
    usage.record(keys[0]!, 'issued', hourA + 2_000);
    usage.record(keys[0]!, 'invalid_secret', hourA + 3_000);
    usage.record(keys[1]!, 'issued', hourA + HOUR + 5); // the next hour
    expect(usage.pending()).toBe(2_502);

    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/insert into key_usage/i.test(q.sql)) statements.push(q.sql);
    };
    db.on('query', onQuery);
    try {
      // Postgres refuses the write: everything stays counted for the next flush.
      await db.raw('ALTER TABLE key_usage RENAME TO key_usage_away');
      await expect(usage.flush()).rejects.toThrow(/key_usage/);
      expect(usage.pending()).toBe(2_502);
      usage.record(keys[0]!, 'issued', hourA + 4_000); // counted meanwhile
      await db.raw('ALTER TABLE key_usage_away RENAME TO key_usage');
      statements.length = 0;

      expect(await usage.flush()).toBe(2_502);
      expect(statements).toHaveLength(4); // 1,000 + 1,000 + 502 for hour A, 1 for the next
      expect(usage.pending()).toBe(0);
      expect(await usage.flush()).toBe(0);
    } finally {
      db.off('query', onQuery);
    }
    const rows = await totals();
    expect(rows).toHaveLength(2_502);
    const count = (key: string, hour: number, outcome: string) =>
      rows.find((r) => r.key === key && r.hour === hour && r.outcome === outcome)?.n;
    expect(count(keys[0]!.id, hourA, 'issued')).toBe(3);
    expect(count(keys[0]!.id, hourA, 'invalid_secret')).toBe(1);
    expect(count(keys[1]!.id, hourA, 'issued')).toBe(1);
    expect(count(keys[1]!.id, hourA + HOUR, 'issued')).toBe(1);
    expect(count(keys[2_499]!.id, hourA, 'issued')).toBe(1);
    expect(rows.reduce((n, r) => n + r.n, 0)).toBe(2_500 + 3 + 1);
  });
});
