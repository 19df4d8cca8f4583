import type { ClientRateLimitInfo, Store } from 'express-rate-limit';
import type { RateCounters } from '../../domain/seams.js';

/** An express-rate-limit store on the RateCounters seam, so a limiter counts in Redis or in the process alike. */
export function counterStore(counters: RateCounters, prefix: string, windowMs: number): Store {
  const apply = async (key: string, op: 'incr' | 'peek' | 'decr'): Promise<ClientRateLimitInfo> => {
    const [state] = await counters.apply(windowMs, [[`${prefix}${key}`, op]]);
    if (!state) throw new TypeError('rate counters answered no state');
    return { totalHits: state.hits, resetTime: new Date(Date.now() + state.resetMs) };
  };
  return {
    // Counts are shared by every instance, not kept in this middleware.
    localKeys: false,
    prefix,
    get: (key) => apply(key, 'peek'),
    increment: (key) => apply(key, 'incr'),
    decrement: async (key) => void (await apply(key, 'decr')),
    // Only called by code that asks for it (none here): a fixed window ends by itself.
    resetKey: () => undefined,
  };
}
