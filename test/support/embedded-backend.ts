// The embedded backend of the tests (TEST_BACKEND=embedded): one store per jest worker, opened by each
// test file that needs it (a reopen takes well under a second) and closed when the file ends.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { onFileEnd } from './file-resources.js';

export const embeddedBackend = process.env.TEST_BACKEND === 'embedded';

const opened = new Map<string, Promise<DatabaseHandle>>();

/** What isolatedDatabase answers on the embedded backend: a store of its own, by name. */
export const EMBEDDED_URL_PREFIX = 'embedded:';

/**
 * This worker's embedded store (or, for an `embedded:NAME` URL from isolatedDatabase, a store of its
 * own), shared by the file's instances, which must not close it.
 */
export function embeddedTestDatabase(databaseUrl?: string): Promise<DatabaseHandle> {
  const name = databaseUrl?.startsWith(EMBEDDED_URL_PREFIX) ? databaseUrl.slice(EMBEDDED_URL_PREFIX.length) : 'shared';
  let handle = opened.get(name);
  if (!handle) {
    handle = (async () => {
      const dataDir = join(tmpdir(), `scope-auth-test-embedded-${process.env.SCOPE_AUTH_TEST_RUN ?? 'local'}-${process.pid}-${name}`);
      const h = await openDatabase(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }));
      onFileEnd(() => h.close());
      return h;
    })();
    opened.set(name, handle);
  }
  return handle.then((h) => ({ ...h, close: async () => undefined }));
}
