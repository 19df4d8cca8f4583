import { backoffDelayMs, parseRetryAfterMs, resolveRetryPolicy, MAX_RETRY_AFTER_MS } from '../src/retry.js';

describe('backoffDelayMs (full jitter)', () => {
  const policy = resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1_000 });
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1_000],
    [30, 1_000],
  ])('retry %i waits below %i ms', (n, ceiling) => {
    expect(backoffDelayMs(n, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(n, policy, () => 0.999_999)).toBe(ceiling - 1);
    expect(backoffDelayMs(n, policy, () => 0.5)).toBe(ceiling / 2);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  it.each<[string | null, number | undefined]>([
    [null, undefined],
    ['1', 1_000],
    [' 7 ', 7_000],
    ['0', 0],
    ['86400', MAX_RETRY_AFTER_MS],
    ['Tue, 01 Jan 2030 00:00:05 GMT', 5_000],
    ['Mon, 31 Dec 2029 23:59:00 GMT', 0],
    ['-3', undefined],
    ['soon', undefined],
  ])('%p → %p', (header, ms) => {
    expect(parseRetryAfterMs(header, now)).toBe(ms);
  });
});

describe('resolveRetryPolicy', () => {
  it('rejects nonsense', () => {
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(TypeError);
    expect(() => resolveRetryPolicy({ baseDelayMs: -1 })).toThrow(TypeError);
    expect(() => resolveRetryPolicy({ maxTotalMs: Number.NaN })).toThrow(TypeError);
  });
});
