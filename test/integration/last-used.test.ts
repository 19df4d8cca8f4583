import { fakeClock } from '../../src/clock.js';
import { createLastUsedTracker, lastUsedMinAdvanceMs } from '../../src/domain/last-used.js';
import { exchangeKey } from '../../src/domain/token-exchange.js';
import { createTestInstance, newPrefix, waitFor, type TestInstance } from '../support/app.js';
import { createKey, createOrg, exchange } from '../support/fixtures.js';

describe('last_used_at', () => {
  it('costs one batched database write for 10,000 exchanges, and lands within the flush interval', async () => {
    const clock = fakeClock();
    const inst = await createTestInstance({ clock });
    try {
      const org = await createOrg(inst.deps);
      const keys = await Promise.all(Array.from({ length: 5 }, () => createKey(inst.deps, org)));
      let updates = 0;
      inst.deps.db.on('query', (q: { sql: string }) => {
        if (/update\s+"?api_keys"?/i.test(q.sql) || /UPDATE api_keys/i.test(q.sql)) updates++;
      });
      const context = { ip: '127.0.0.1', userAgent: null, requestId: null };
      // A tracker of its own, with no timer: the instance's timed flush comes at a random point of
      // its interval and could land inside this loop (it did, in CI).
      const lastUsed = createLastUsedTracker(inst.deps.db, lastUsedMinAdvanceMs(inst.config.lastUsedFlushSeconds));
      const deps = { ...inst.deps, lastUsed };
      for (let i = 0; i < 10_000; i++) {
        const k = keys[i % keys.length]!;
        await exchangeKey(deps, { keyId: k.key.id, secret: k.secret, context });
      }
      expect(updates).toBe(0);
      expect(inst.deps.lastUsed.pending()).toBe(0);
      const flushed = await lastUsed.flush();
      expect(flushed).toEqual({ keys: 5, writes: 1, rows: 5 });
      expect(updates).toBe(1);
      const rows = await inst.deps.db('api_keys').whereIn(
        'id',
        keys.map((k) => k.key.id),
      );
      // Time stands still here: what lands is the time of the exchanges.
      for (const r of rows) expect(r.last_used_at.getTime()).toBe(clock.now());
      expect(inst.config.lastUsedFlushSeconds).toBeLessThanOrEqual(60);
    } finally {
      await inst.close();
    }
    // 10,000 signed tokens: 5 s on a quiet machine, over 30 beside three busy workers and their browsers.
  }, 90_000);

  it('is written by the timer within the flush interval, with nobody calling flush', async () => {
    const inst = await createTestInstance({ env: { LAST_USED_FLUSH_SECONDS: '1' } });
    try {
      const org = await createOrg(inst.deps);
      const { key, secret } = await createKey(inst.deps, org);
      await exchangeKey(inst.deps, { keyId: key.id, secret, context: { ip: '127.0.0.1', userAgent: null, requestId: null } });
      const usedAt = async () => (await inst.deps.db('api_keys').where('id', key.id).first()).last_used_at as Date | null;
      expect(await usedAt()).toBeNull();
      // The first flush comes at a random point of the first second, then one every second.
      await waitFor(async () => (await usedAt()) !== null, 5_000, 'the timed flush');
      expect(inst.deps.lastUsed.pending()).toBe(0);
    } finally {
      await inst.close();
    }
  });

  it('writes a large flush in batches, in key order, with bounded pauses only when paced; what fails waits for the next flush', async () => {
    const inst = await createTestInstance();
    try {
      const org = await createOrg(inst.deps);
      const keys = await Promise.all(Array.from({ length: 5 }, () => createKey(inst.deps, org)));
      const ids = keys.map((k) => k.key.id);
      const sorted = [...ids].sort();
      const statements: string[][] = [];
      inst.deps.db.on('query', (q: { sql: string; bindings?: unknown[] }) => {
        if (/UPDATE api_keys/i.test(q.sql)) statements.push(q.bindings![0] as string[]);
      });
      const pauses: number[] = [];
      const tracker = createLastUsedTracker(inst.deps.db, 0, { batchSize: 2, pauseMs: 30, pauseBudgetMs: 50 }, (ms) => {
        pauses.push(ms);
        return Promise.resolve();
      });
      const at = Date.now();
      for (const id of [...ids].reverse()) tracker.touch(id, at);

      expect(await tracker.flush({ paced: true })).toEqual({ keys: 5, writes: 3, rows: 5 });
      expect(statements).toEqual([sorted.slice(0, 2), sorted.slice(2, 4), sorted.slice(4)]);
      expect(pauses).toEqual([25, 25]); // 30 ms each would overrun the 50 ms budget
      expect(tracker.writes()).toBe(3);
      const rows = await inst.deps.db('api_keys').whereIn('id', ids);
      for (const r of rows) expect(r.last_used_at.getTime()).toBe(at);

      // Shutdown's flush does not pause.
      for (const id of ids) tracker.touch(id, at + 1_000);
      expect(await tracker.flush()).toEqual({ keys: 5, writes: 3, rows: 5 });
      expect(pauses).toHaveLength(2);

      // The second batch fails (a time the database cannot take): it and the rest stay pending.
      tracker.touch(sorted[0]!, at + 2_000);
      tracker.touch(sorted[1]!, at + 2_000);
      tracker.touch(sorted[2]!, Number.NaN);
      tracker.touch(sorted[3]!, at + 2_000);
      await expect(tracker.flush()).rejects.toThrow();
      expect(tracker.pending()).toBe(2);
      const first = await inst.deps.db('api_keys').where('id', sorted[0]!).first();
      expect(first.last_used_at.getTime()).toBe(at + 2_000);
    } finally {
      await inst.close();
    }
  });

  it('rewrites a key in steady use about once per interval however many processes serve it, never backwards', async () => {
    // Two processes of one deployment, on one clock: each flushes the keys it served.
    const clock = fakeClock();
    const prefix = newPrefix();
    const a = await createTestInstance({ prefix, clock });
    const b = await createTestInstance({ prefix, clock });
    try {
      const flushSeconds = a.config.lastUsedFlushSeconds;
      const advanceMs = lastUsedMinAdvanceMs(flushSeconds);
      expect(flushSeconds * 1000 + advanceMs).toBeLessThanOrEqual(60_000); // DESIGN.md: within a minute
      expect(advanceMs).toBeGreaterThan(0);
      const org = await createOrg(a.deps);
      const keys = await Promise.all(Array.from({ length: 3 }, () => createKey(a.deps, org)));
      const ids = keys.map((k) => k.key.id);
      const context = { ip: '127.0.0.1', userAgent: null, requestId: null };
      const serve = async (inst: TestInstance) => {
        for (const k of keys) await exchangeKey(inst.deps, { keyId: k.key.id, secret: k.secret, context });
      };
      const stored = async () => {
        const rows = await a.deps.db('api_keys').whereIn('id', ids).select('last_used_at', a.deps.db.raw('xmin::text AS xmin'));
        return {
          times: new Set(rows.map((r: { last_used_at: Date }) => r.last_used_at.toISOString())),
          xmins: rows.map((r: { xmin: string }) => r.xmin).sort(),
        };
      };
      const t0 = clock.now();

      await serve(a);
      expect(await a.deps.lastUsed.flush()).toEqual({ keys: 3, writes: 1, rows: 3 });
      const first = await stored();
      expect([...first.times]).toEqual([new Date(t0).toISOString()]);

      // B served the same keys a little later: its flush finds the rows recent enough and leaves them.
      clock.advance(advanceMs - 1_000);
      await serve(b);
      expect(await b.deps.lastUsed.flush()).toEqual({ keys: 3, writes: 1, rows: 0 });
      expect(await stored()).toEqual(first); // same row versions: nothing was rewritten

      // A serves again (its flush comes later); B's time, more than the bound newer, moves the rows on.
      clock.advance(2_000);
      await serve(a);
      clock.advance(advanceMs + 10_000);
      await serve(b);
      expect(await b.deps.lastUsed.flush()).toEqual({ keys: 3, writes: 1, rows: 3 });
      const second = await stored();
      expect([...second.times]).toEqual([new Date(clock.now()).toISOString()]);

      // A's flush carries its older time: it never moves the rows back.
      expect(await a.deps.lastUsed.flush()).toEqual({ keys: 3, writes: 1, rows: 0 });
      expect(await stored()).toEqual(second);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('is flushed when the instance closes', async () => {
    const inst = await createTestInstance();
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    await inst.close();
    const row = await waitForRow(inst, key.id);
    expect(row.last_used_at).not.toBeNull();
  });
});

async function waitForRow(inst: TestInstance, id: string) {
  const { createDb } = await import('../../src/storage/db.js');
  const db = createDb(inst.deps.database.url, 1);
  try {
    let row;
    await waitFor(
      async () => {
        row = await db('api_keys').where({ id }).first();
        return row.last_used_at !== null;
      },
      2_000,
      'last_used_at',
    );
    return row as unknown as { last_used_at: Date };
  } finally {
    await db.destroy();
  }
}
