import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { lockPath, openEmbeddedStore, readStoreHolder, StoreLockedError } from '../../src/storage/embedded-store.js';

// The store's lock file: one process at a time, and never locked out by a process that died.
// A new store takes 2–8 s to initialise on a quiet machine and over 60 s beside three busy workers
// and their browsers on a slow 2-core one (a run timed out there): the limits below are waits, not targets.
const OPENING_MS = 180_000;
let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'scope-auth-store-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const count = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM kept')).rows[0]?.n;
  } finally {
    await client.end();
  }
};

describe('embedded store lock', () => {
  it(
    'keeps data across opens, names its holder while open, and refuses a second open',
    async () => {
      const store = await openEmbeddedStore(dataDir);
      try {
        expect(store.created).toBe(true);
        const client = new pg.Client({ connectionString: store.url });
        await client.connect();
        await client.query('CREATE TABLE kept (x int); INSERT INTO kept VALUES (1)');
        await client.end();
        expect(await readStoreHolder(dataDir)).toEqual({ pid: process.pid, url: store.url });
        await expect(openEmbeddedStore(dataDir)).rejects.toThrow(StoreLockedError);
      } finally {
        await store.close();
      }
      expect(await readStoreHolder(dataDir)).toBeUndefined();
      const again = await openEmbeddedStore(dataDir);
      try {
        expect(again.created).toBe(false);
        expect(await count(again.url)).toBe(1);
      } finally {
        await again.close();
      }
    },
    OPENING_MS,
  );

  it.each([
    ['its own pid (a container restarted: the server is pid 1 again)', () => ({ pid: process.pid })],
    [
      'a live pid whose socket no longer answers (the pid was reused)',
      () => ({ pid: 1, url: `postgres://postgres@localhost/postgres?host=${encodeURIComponent(join(dataDir, 'gone'))}` }),
    ],
    ['a pid that no longer exists', () => ({ pid: 2 ** 22 + 17 })],
  ])(
    'opens over a lock left by a process that died, naming %s',
    async (_why, lock) => {
      writeFileSync(lockPath(dataDir), JSON.stringify(lock()));
      const store = await openEmbeddedStore(dataDir);
      try {
        expect(JSON.parse(readFileSync(lockPath(dataDir), 'utf8'))).toEqual({ pid: process.pid, url: store.url });
        expect(await count(store.url)).toBe(1);
      } finally {
        await store.close();
      }
    },
    OPENING_MS,
  );

  it('asks to retry while a live process is still opening the store (its lock names no socket yet)', async () => {
    writeFileSync(lockPath(dataDir), JSON.stringify({ pid: 1 }));
    try {
      await expect(openEmbeddedStore(dataDir)).rejects.toThrow(
        `${dataDir} is being opened by process 1 (a scope-auth server starting?): try again in a few seconds`,
      );
    } finally {
      rmSync(lockPath(dataDir), { force: true });
    }
  });
});
