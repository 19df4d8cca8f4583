import type { Config } from '../config.js';
import { migrateDatabase } from './db.js';
import { openEmbeddedStore, readStoreHolder, StoreLockedError } from './embedded-store.js';

/** Where this process reaches the database: PostgreSQL, the embedded store it opened, or a running server's. */
export type DatabaseHandle = {
  url: string;
  mode: 'server' | 'embedded';
  /** Embedded: this process opened the store (and must close it), or reaches it through the server holding it. */
  holder: 'self' | 'server' | 'none';
  /** Absolute DATA_DIR (embedded mode). */
  dataDir?: string;
  /** Embedded: this open initialised a new store. */
  created: boolean;
  /** Migrations this open applied (embedded, opened here). */
  applied: string[];
  close(): Promise<void>;
};

const nothingToClose = async () => undefined;

/**
 * The database for this process. With DATABASE_URL, PostgreSQL. Without, the embedded store in
 * DATA_DIR: opened and migrated here, or, while a server holds it (`shareWithServer`, for the CLI),
 * reached through that server's socket.
 */
export async function openDatabase(config: Config, options: { shareWithServer?: boolean } = {}): Promise<DatabaseHandle> {
  if (config.databaseUrl !== undefined)
    return { url: config.databaseUrl, mode: 'server', holder: 'none', created: false, applied: [], close: nothingToClose };
  const holder = await readStoreHolder(config.dataDir);
  if (holder) {
    if (!options.shareWithServer || holder.url === undefined) throw new StoreLockedError(config.dataDir, holder);
    return {
      url: holder.url,
      mode: 'embedded',
      holder: 'server',
      dataDir: config.dataDir,
      created: false,
      applied: [],
      close: nothingToClose,
    };
  }
  const store = await openEmbeddedStore(config.dataDir);
  let applied: string[];
  try {
    // The store is this process's alone: bring its schema up to date before anything reads it.
    applied = await migrateDatabase(store.url);
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    url: store.url,
    mode: 'embedded',
    holder: 'self',
    dataDir: store.dataDir,
    created: store.created,
    applied,
    close: () => store.close(),
  };
}

/** A handle for PostgreSQL from the config alone (tests and callers that open nothing themselves). */
export function serverDatabase(config: Config): DatabaseHandle {
  if (config.databaseUrl === undefined) throw new TypeError('embedded mode: open the store with openDatabase first');
  return { url: config.databaseUrl, mode: 'server', holder: 'none', created: false, applied: [], close: nothingToClose };
}
