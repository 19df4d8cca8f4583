import { createHash } from 'node:crypto';
import type { CounterOp, CounterState, RateCounters } from '../../domain/seams.js';
import type { RedisClient } from './client.js';

/**
 * Fixed-window counters (a counter created with the window as its TTL). One script call reads or
 * bumps any number of them, so a request checked against several limits costs one Redis round trip
 * instead of one per limit.
 *
 * KEYS: the counters. ARGV[1]: window (ms); ARGV[1 + i]: what to do with KEYS[i]:
 *   'incr' count a hit; 'peek' only read; 'decr' give a hit back (never below zero).
 * Returns, per key, its hits after the operation and the milliseconds until its window ends.
 */
const SCRIPT = `
local window = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local op = ARGV[i + 1]
  local hits = 0
  local ttl = redis.call('PTTL', key)
  if op == 'incr' then
    if ttl <= 0 then
      redis.call('SET', key, 1, 'PX', window)
      hits, ttl = 1, window
    else
      hits = redis.call('INCR', key)
    end
  elseif ttl > 0 then
    hits = tonumber(redis.call('GET', key)) or 0
    if op == 'decr' and hits > 0 then hits = redis.call('DECR', key) end
  end
  if ttl <= 0 then ttl = window end
  out[#out + 1] = hits
  out[#out + 1] = ttl
end
return out
`;
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

/**
 * `onFailure`: a call failed or timed out (Redis hung, or a Cluster slot without its master). The
 * counters run on every exchange, so they hear of it first.
 */
export function createRedisRateCounters(redis: RedisClient, onFailure: () => void = () => undefined): RateCounters {
  return {
    apply: (windowMs, ops) =>
      applyCounters(redis, windowMs, ops).catch((err: unknown) => {
        onFailure();
        throw err;
      }),
  };
}

async function applyCounters(
  redis: RedisClient,
  windowMs: number,
  ops: ReadonlyArray<readonly [key: string, op: CounterOp]>,
): Promise<CounterState[]> {
  const args: Array<string | number> = [...ops.map(([key]) => key), windowMs, ...ops.map(([, op]) => op)];
  let reply: unknown;
  try {
    reply = await redis.evalsha(SCRIPT_SHA, ops.length, ...args);
  } catch (err) {
    // First use on this Redis (or after a restart or SCRIPT FLUSH): send the script itself once.
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    reply = await redis.eval(SCRIPT, ops.length, ...args);
  }
  const values = reply as number[];
  return ops.map((_, i) => ({ hits: Number(values[2 * i]), resetMs: Number(values[2 * i + 1]) }));
}
