import type { CounterOp, CounterState, RateCounters } from '../../domain/seams.js';

type Counter = { hits: number; endsAtMs: number };

// Sweep ended windows at most this often, so counters of one-off clients do not pile up.
const SWEEP_EVERY_MS = 60_000;

/** The fixed-window counters of storage/redis/rate-counters.ts, for one embedded instance. */
export function createMemoryRateCounters(now: () => number = Date.now): RateCounters {
  const counters = new Map<string, Counter>();
  let nextSweepMs = now() + SWEEP_EVERY_MS;

  const sweep = (t: number) => {
    if (t < nextSweepMs) return;
    nextSweepMs = t + SWEEP_EVERY_MS;
    for (const [key, c] of counters) if (c.endsAtMs <= t) counters.delete(key);
  };

  const applyOne = (t: number, windowMs: number, key: string, op: CounterOp): CounterState => {
    let c = counters.get(key);
    if (c && c.endsAtMs <= t) {
      counters.delete(key);
      c = undefined;
    }
    if (op === 'incr') {
      if (!c) {
        c = { hits: 0, endsAtMs: t + windowMs };
        counters.set(key, c);
      }
      c.hits++;
    } else if (op === 'decr' && c && c.hits > 0) {
      c.hits--;
    }
    return c ? { hits: c.hits, resetMs: c.endsAtMs - t } : { hits: 0, resetMs: windowMs };
  };

  return {
    async apply(windowMs, ops) {
      const t = now();
      sweep(t);
      return ops.map(([key, op]) => applyOne(t, windowMs, key, op));
    },
  };
}
