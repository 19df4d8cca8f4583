// The two sides of each seam, for the shared contract suites: Redis (skipped, with a note, where no
// Redis answers) and in-process.
import { once } from 'node:events';
import { createRedis, redisKeys } from '../../../src/storage/redis/client.js';
import { redisAvailable, noteSkipped } from '../../support/backends.js';
import { TEST_REDIS_URL } from '../../support/env.js';
import { newPrefix, tracked } from '../../support/file-resources.js';

export type Side<T> = { name: string; create: () => Promise<T> };

const withRedis = await redisAvailable();

/** The sides to run: in-process always, Redis when it answers. */
export function sides<T>(
  suite: string,
  memory: () => T,
  redis: (r: ReturnType<typeof createRedis>, keys: ReturnType<typeof redisKeys>) => T,
): Array<Side<T>> {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });
  const list: Array<Side<T>> = [{ name: 'in-process', create: async () => memory() }];
  if (withRedis) {
    list.push({
      name: 'redis',
      create: async () => {
        const client = createRedis(TEST_REDIS_URL, 1_000);
        closers.push(tracked(async () => client.disconnect()));
        if (client.status !== 'ready') await once(client, 'ready');
        return redis(client, redisKeys(newPrefix()));
      },
    });
  } else {
    noteSkipped(`${suite} (redis side)`, `no Redis answers at ${TEST_REDIS_URL} (or TEST_BACKEND=embedded)`);
  }
  return list;
}
