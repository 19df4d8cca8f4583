import type { RevocationEntry } from '../../../src/domain/revocation/entry.js';
import { createMemoryRevocationStore } from '../../../src/storage/memory/revocation-store.js';
import { createRedisRevocationStore } from '../../../src/storage/redis/revocation-store.js';
import { sides } from './seam-backends.js';

const NOW_S = 1_800_000_000;
const keyEntry = (seq: number, keyId: string, expiresAt = NOW_S + 600): RevocationEntry => ({
  seq,
  kind: 'key',
  keyId,
  jti: null,
  revokedAt: NOW_S,
  expiresAt,
});
const tokenEntry = (seq: number, jti: string, expiresAt = NOW_S + 600): RevocationEntry => ({
  seq,
  kind: 'token',
  keyId: 'key_t',
  jti,
  revokedAt: NOW_S,
  expiresAt,
});

describe.each(
  sides(
    'RevocationStore',
    () => createMemoryRevocationStore(),
    (redis, keys) => createRedisRevocationStore(redis, keys),
  ),
)('RevocationStore ($name)', ({ create }) => {
  it('is not ready until replaced, and a replace swaps the whole list', async () => {
    const store = await create();
    expect(await store.isReady()).toBe(false);
    await store.announce([keyEntry(1, 'key_old')]);
    await store.replace([keyEntry(2, 'key_a'), tokenEntry(3, 'jti_b')]);
    expect(await store.isReady()).toBe(true);
    expect(await store.read()).toEqual(
      new Map([
        ['key:key_a', keyEntry(2, 'key_a')],
        ['jti:jti_b', tokenEntry(3, 'jti_b')],
      ]),
    );
  });

  it('holds announced entries by entry ID, the newest version of each', async () => {
    const store = await create();
    await store.announce([keyEntry(1, 'key_a')]);
    await store.announce([keyEntry(4, 'key_a'), tokenEntry(5, 'jti_c')]);
    expect(await store.read()).toEqual(
      new Map([
        ['key:key_a', keyEntry(4, 'key_a')],
        ['jti:jti_c', tokenEntry(5, 'jti_c')],
      ]),
    );
  });

  it('removes entries by ID', async () => {
    const store = await create();
    await store.announce([keyEntry(1, 'key_a'), keyEntry(2, 'key_b')]);
    await store.remove(['key:key_a']);
    await store.remove([]);
    expect([...(await store.read()).keys()]).toEqual(['key:key_b']);
  });

  it('prunes the entries expired at the given time and answers how many', async () => {
    const store = await create();
    await store.replace([keyEntry(1, 'key_gone', NOW_S - 1), tokenEntry(2, 'jti_gone', NOW_S), keyEntry(3, 'key_kept', NOW_S + 1)]);
    expect(await store.prune(NOW_S * 1000)).toBe(2);
    expect([...(await store.read()).keys()]).toEqual(['key:key_kept']);
    expect(await store.isReady()).toBe(true);
  });

  it('runs one rebuild at a time, and frees the lock afterwards', async () => {
    const store = await create();
    let release!: () => void;
    const held = store.withRebuildLock(() => new Promise<string>((r) => (release = () => r('first'))));
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.withRebuildLock(async () => 'second')).toBeUndefined();
    release();
    expect(await held).toBe('first');
    expect(await store.withRebuildLock(async () => 'third')).toBe('third');
  });
});
