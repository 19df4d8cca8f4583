import type { Deps } from './deps.js';

/** Says, once at start-up, which storage mode runs, where the data lives and how to leave it. */
export function logStartMode(deps: Pick<Deps, 'database' | 'redis' | 'log' | 'config'>, port: number): void {
  const { database, log } = deps;
  const embedded = database.mode === 'embedded';
  const inProcess = deps.redis === undefined;
  if (!embedded && !inProcess) {
    log.info({ mode: 'server', database: 'postgres', redis: 'redis' }, 'server.mode');
    return;
  }
  log.info(
    {
      mode: embedded && inProcess ? 'embedded' : 'mixed',
      database: embedded ? 'embedded' : 'postgres',
      dataDir: database.dataDir,
      redis: inProcess ? 'in-process' : 'redis',
    },
    [
      embedded
        ? `Embedded mode: data in ${database.dataDir ?? deps.config.dataDir} (embedded PostgreSQL; survives a crash, not a power cut).`
        : 'Database: PostgreSQL (DATABASE_URL).',
      inProcess ? 'Revocation list, instance bus and rate limits are in-process: one instance only.' : 'Redis: REDIS_URL.',
      'To scale out, set DATABASE_URL (PostgreSQL) and REDIS_URL (Redis) and run as many instances as you need.',
      database.created
        ? `New store. Next: npx scope-auth bootstrap --org-name "My org" (same DATA_DIR), then exchange the key at http://localhost:${port}/v1/token.`
        : '',
    ]
      .filter(Boolean)
      .join(' '),
  );
}
