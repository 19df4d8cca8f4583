import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryRateCounters } from '../../../src/storage/memory/rate-counters.js';
import { createRedisRateCounters } from '../../../src/storage/redis/rate-counters.js';
import { sides } from './seam-backends.js';

const WINDOW_MS = 300;
let n = 0;
const key = () => `rc:${Date.now()}:${++n}`;

describe.each(
  sides(
    'RateCounters',
    () => createMemoryRateCounters(),
    (redis) => createRedisRateCounters(redis),
  ),
)('RateCounters ($name)', ({ create }) => {
  it('counts hits within one window and reports the time left in it', async () => {
    const counters = await create();
    const k = key();
    const [first] = await counters.apply(WINDOW_MS, [[k, 'incr']]);
    const [second] = await counters.apply(WINDOW_MS, [[k, 'incr']]);
    expect(first?.hits).toBe(1);
    expect(second?.hits).toBe(2);
    expect(second?.resetMs).toBeGreaterThan(0);
    expect(second?.resetMs).toBeLessThanOrEqual(WINDOW_MS);
  });

  it('peeks without counting, and reads an unknown counter as zero with a whole window', async () => {
    const counters = await create();
    const k = key();
    expect(await counters.apply(WINDOW_MS, [[k, 'peek']])).toEqual([{ hits: 0, resetMs: WINDOW_MS }]);
    await counters.apply(WINDOW_MS, [[k, 'incr']]);
    const [peeked] = await counters.apply(WINDOW_MS, [[k, 'peek']]);
    expect(peeked?.hits).toBe(1);
  });

  it('gives a hit back, never below zero', async () => {
    const counters = await create();
    const k = key();
    await counters.apply(WINDOW_MS, [[k, 'incr']]);
    const [back] = await counters.apply(WINDOW_MS, [[k, 'decr']]);
    const [again] = await counters.apply(WINDOW_MS, [[k, 'decr']]);
    expect(back?.hits).toBe(0);
    expect(again?.hits).toBe(0);
  });

  it('starts a new window once the old one has ended', async () => {
    const counters = await create();
    const k = key();
    await counters.apply(WINDOW_MS, [
      [k, 'incr'],
      [k, 'incr'],
    ]);
    await sleep(WINDOW_MS + 50);
    const [fresh] = await counters.apply(WINDOW_MS, [[k, 'incr']]);
    expect(fresh?.hits).toBe(1);
  });

  it('applies several operations on several counters in one call, in order', async () => {
    const counters = await create();
    const a = key();
    const b = key();
    const states = await counters.apply(WINDOW_MS, [
      [a, 'incr'],
      [b, 'peek'],
      [a, 'incr'],
      [b, 'incr'],
    ]);
    expect(states.map((s) => s.hits)).toEqual([1, 0, 2, 1]);
  });
});
