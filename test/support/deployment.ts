import { systemClock } from '../../src/clock.js';
import { createDb, type Db } from '../../src/storage/db.js';
import { newPrefix, testConfig } from './app.js';
import { ensureBuilt } from './build.js';
import { ensureMigrated } from './databases.js';
import { TEST_DATABASE_URL } from './env.js';
import { createOrg } from './fixtures.js';

/**
 * For suites that run the built `scope-auth serve` against the test database: builds and migrates
 * once, and gives each test an org under a Redis prefix of its own (`serveInDeployment(prefix, …)`).
 */
export function deploymentSuite() {
  let db: Db | undefined;
  beforeAll(async () => {
    await ensureBuilt('server');
    await ensureMigrated();
    db = createDb(TEST_DATABASE_URL, 2);
  }, 120_000);
  afterAll(async () => db?.destroy());
  const database = (): Db => {
    if (!db) throw new Error('deploymentSuite: the database is opened in beforeAll');
    return db;
  };
  return {
    db: database,
    async freshOrg() {
      const prefix = newPrefix();
      const config = testConfig(prefix);
      const deps = { db: database(), clock: systemClock, config };
      return { prefix, config, deps, org: await createOrg(deps) };
    },
  };
}
