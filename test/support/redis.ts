import { Redis } from 'ioredis';
import type { RedisClient } from '../../src/storage/redis/client.js';
import { TEST_REDIS_URL } from './env.js';

/**
 * Deletes every key under `prefix` (SCAN MATCH + UNLINK). Tests lose a deployment's Redis data this
 * way, never with FLUSHDB: other files and other runs share the database index.
 */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  // Keys live under the hash tag `{prefix}` (redisKeys); plain `prefix*` catches anything else.
  for (const pattern of [`${prefix}*`, `{${prefix}}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  }
  return deleted;
}

/** Deletes the keys of every prefix, on one short-lived connection to the test Redis. */
export async function deleteRedisPrefixes(prefixes: ReadonlySet<string>): Promise<void> {
  if (prefixes.size === 0) return;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const prefix of prefixes) await deleteRedisPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** The instance's Redis client, for suites that run only against the Redis backend. */
export function redisOf(deps: { redis?: RedisClient | undefined }): RedisClient {
  if (!deps.redis) throw new TypeError('this test needs REDIS_URL (the Redis backend)');
  return deps.redis;
}
