import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** The embedded PostgreSQL (PGlite) in DATA_DIR, served on a local socket so pg/knex use it unchanged. */
export type EmbeddedStore = {
  /** A postgres:// URL reaching the store while it is open. */
  url: string;
  dataDir: string;
  /** True when this open initialised a new store. */
  created: boolean;
  close(): Promise<void>;
};

/** Who holds a DATA_DIR: written in its lock file, which also tells the CLI where to connect. */
export type StoreHolder = { pid: number; url?: string };

/** DATA_DIR is open in another live process. */
export class StoreLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: StoreHolder,
  ) {
    super(lockedMessage(dataDir, holder));
    this.name = 'StoreLockedError';
  }
}

function lockedMessage(dataDir: string, holder: StoreHolder): string {
  if (holder.url === undefined) {
    return `${dataDir} is being opened by process ${holder.pid} (a scope-auth server starting?): try again in a few seconds, or set DATA_DIR to another directory.`;
  }
  return (
    `${dataDir} is in use by process ${holder.pid} (another scope-auth server?): the embedded store serves one process. ` +
    'Stop that process, set DATA_DIR to another directory, or set DATABASE_URL to use PostgreSQL. ' +
    `If no such process runs, delete ${lockPath(dataDir)}.`
  );
}

const LOCK_FILE = 'scope-auth.lock';
// Unix socket paths are limited to about 104 bytes; longer DATA_DIRs fall back to loopback TCP.
const MAX_SOCKET_PATH = 100;
// The service's pool (1), a CLI beside it (1), and its migrations.
const MAX_CONNECTIONS = 4;

export const lockPath = (dataDir: string) => join(dataDir, LOCK_FILE);

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by another user.
    return (err as { code?: string }).code === 'EPERM';
  }
};

// Stores this process has open: a lock naming our own pid is otherwise a previous life's (in a
// container the server is pid 1 after every restart).
const openHere = new Set<string>();

/** True when something accepts connections at the store URL's socket (a dead holder's refuses). */
function answers(url: string): Promise<boolean> {
  const u = new URL(url);
  const dir = u.searchParams.get('host');
  return new Promise((resolve) => {
    const socket = dir ? createConnection(join(dir, '.s.PGSQL.5432')) : createConnection({ host: u.hostname, port: Number(u.port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The live process holding `dataDir`, if any. */
export async function readStoreHolder(dataDir: string): Promise<StoreHolder | undefined> {
  let raw: string;
  try {
    raw = await readFile(lockPath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const holder = parseHolder(raw);
  if (!holder) return undefined;
  if (holder.pid === process.pid) return openHere.has(dataDir) ? holder : undefined;
  if (!isAlive(holder.pid)) return undefined;
  // Pids are reused (and other containers' are not ours to see): a holder must also answer on its socket.
  return holder.url === undefined || (await answers(holder.url)) ? holder : undefined;
}

function parseHolder(raw: string): StoreHolder | undefined {
  try {
    const v = JSON.parse(raw) as { pid?: unknown; url?: unknown };
    if (typeof v.pid !== 'number') return undefined;
    return typeof v.url === 'string' ? { pid: v.pid, url: v.url } : { pid: v.pid };
  } catch {
    return undefined;
  }
}

/** Takes the lock file, replacing one left by a process that has died. */
async function takeLock(dataDir: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath(dataDir), JSON.stringify({ pid: process.pid }), { flag: 'wx', mode: 0o600 });
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    const holder = await readStoreHolder(dataDir);
    if (holder) throw new StoreLockedError(dataDir, holder);
    await rm(lockPath(dataDir), { force: true });
  }
  const holder = await readStoreHolder(dataDir);
  throw new StoreLockedError(dataDir, holder ?? { pid: -1 });
}

/** Opens (creating if needed) the store in `dataDir`, holding its lock until `close`. */
export async function openEmbeddedStore(dataDir: string): Promise<EmbeddedStore> {
  // Owner-only: the socket inside accepts anyone who can reach it.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await takeLock(dataDir);
  openHere.add(dataDir);
  const pgdata = join(dataDir, 'pgdata');
  const created = !existsSync(join(pgdata, 'PG_VERSION'));
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    // pg_trgm: the index behind the key name search (migration 20261130210001), as on a server.
    db = await PGlite.create(pgdata, { extensions: { pg_trgm } });
    const socketPath = join(dataDir, '.s.PGSQL.5432');
    const useSocket = socketPath.length <= MAX_SOCKET_PATH;
    if (useSocket) await rm(socketPath, { force: true });
    server = new PGLiteSocketServer(
      useSocket
        ? { db, path: socketPath, maxConnections: MAX_CONNECTIONS }
        : { db, port: 0, host: '127.0.0.1', maxConnections: MAX_CONNECTIONS },
    );
    await server.start();
    const url = useSocket
      ? `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dataDir)}`
      : `postgres://postgres@${server.getServerConn()}/postgres`;
    await writeFile(lockPath(dataDir), JSON.stringify({ pid: process.pid, url } satisfies StoreHolder), { mode: 0o600 });
    const opened = { db, server };
    let closing: Promise<void> | undefined;
    return {
      url,
      dataDir,
      created,
      close: () =>
        (closing ??= (async () => {
          await opened.server.stop();
          await opened.db.close();
          await rm(lockPath(dataDir), { force: true });
          openHere.delete(dataDir);
        })()),
    };
  } catch (err) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await rm(lockPath(dataDir), { force: true });
    openHere.delete(dataDir);
    throw err;
  }
}
