import cluster from 'node:cluster';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { startMetricsServer } from '../http/metrics-server.js';
import { startServer } from '../main.js';
import { clusterMetrics } from '../metrics.js';
import { serverDatabase } from '../storage/database.js';
import { migrateDatabase } from '../storage/db.js';
import type { Command } from './support.js';

/** The primary of a WORKERS > 1 cluster: migrates once, then forks and keeps the workers running. */
async function runPrimary(config: Config, log: Logger, migrateFirst: boolean): Promise<void> {
  // Config refuses WORKERS > 1 in embedded mode, so this is PostgreSQL.
  if (migrateFirst) await migrateDatabase(serverDatabase(config).url);
  log.info({ workers: config.workers }, 'cluster.starting');
  for (let i = 0; i < config.workers; i++) cluster.fork();
  // One scrape for the whole machine: the primary asks every worker and sums.
  const metricsServer =
    config.metricsPort === undefined || !config.metricsEnabled
      ? undefined
      : await startMetricsServer({ port: config.metricsPort, host: config.host, token: config.metricsToken, source: clusterMetrics() });
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    log.error({ pid: worker.process.pid, code }, 'cluster.worker_exited');
    cluster.fork();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      metricsServer?.close();
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    });
  }
}

export const serve: Command = {
  name: 'serve',
  usage: 'serve [--migrate]               run the HTTP service (WORKERS processes); --migrate first applies migrations',
  async run({ config, values }) {
    const log = createLogger(config.logLevel);
    if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, log, values.migrate === true);
    // One setup URL per start, not one per worker.
    const announceSetup = cluster.isPrimary || cluster.worker?.id === 1;
    const running = await startServer(config, { log, migrate: values.migrate === true && cluster.isPrimary, announceSetup });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        running.shutdown(signal).then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'server.shutdown_failed');
            process.exit(1);
          },
        );
      });
    }
  },
};
