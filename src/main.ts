import cluster from 'node:cluster';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from './app.js';
import { startMetricsServer } from './http/metrics-server.js';
import { createHttpServer } from './http/server.js';
import type { Config } from './config.js';
import { createDeps, type Deps, type DepsOverrides } from './deps.js';
import { createLifecycle } from './lifecycle.js';
import { ownMetrics, reportToClusterPrimary } from './metrics.js';
import { issueSetupUrl } from './domain/people/setup.js';
import { migrateDatabase } from './storage/db.js';
import { openDatabase } from './storage/database.js';
import { logStartMode } from './start-mode.js';
import { startTracing, tracing as tracingState } from './tracing.js';

export type RunningServer = { server: Server; deps: Deps; port: number; shutdown(signal?: string): Promise<void> };

/** Composition root: deps → app → listen, with a graceful shutdown that loses nothing. */
/**
 * DESIGN.md "First owner": on a store with no user, a one-time setup URL. It goes to the operator's
 * terminal (stderr) only, never into the structured log, which may be shipped elsewhere.
 */
async function announceSetup(deps: Deps): Promise<void> {
  const setup = await issueSetupUrl(deps);
  if (!setup) return;
  deps.log.info({ expires_at: setup.expiresAt.toISOString() }, 'setup.pending');
  process.stderr.write(
    `\nNo user yet. Create the first owner (valid until ${setup.expiresAt.toISOString()}, once):\n  ${setup.url}\nor headless: npx scope-auth user create --email E --org-name NAME --role owner --password-stdin\n\n`,
  );
}

export async function startServer(
  config: Config,
  options: DepsOverrides & {
    migrate?: boolean;
    port?: number;
    /** Print a first-owner setup URL on a store with no user (default true). */ announceSetup?: boolean;
  } = {},
): Promise<RunningServer> {
  // Embedded: opened, locked and migrated here, before anything else reads it.
  const database = options.database ?? (await openDatabase(config));
  const deps = createDeps(config, { ...options, database });
  const { log } = deps;
  // A cluster worker's metrics are served, summed, by the primary: answer its requests from the
  // start, or a scrape during this worker's start-up waits for it and times out.
  if (cluster.isWorker) reportToClusterPrimary(deps.metrics);
  for (const name of config.devDefaults) {
    log.warn(`${name} is not set: using an insecure development default. Set it before any real use (required when NODE_ENV=production).`);
  }
  for (const warning of config.warnings) log.warn(warning);
  if (options.migrate && database.mode === 'server') {
    const applied = await migrateDatabase(database.url);
    if (applied.length > 0) log.info({ applied }, 'migrations.applied');
  }
  // Before the app is built (it mounts the server span only with tracing on); the SDK loads only if configured.
  const tracing = await startTracing(config.tracing, log);
  const untrace = tracingState.traceStorage?.(deps);
  const stopTracing = async () => {
    untrace?.();
    await tracing?.shutdown();
  };
  const lifecycle = createLifecycle(deps);
  try {
    await lifecycle.start();
  } catch (err) {
    await lifecycle.stop().catch(() => undefined);
    await stopTracing().catch(() => undefined);
    throw err;
  }

  let shuttingDown = false;
  const shutdownController = new AbortController();
  const app = createApp(deps, { isShuttingDown: () => shuttingDown, shutdownSignal: shutdownController.signal });
  const server = createHttpServer(app).listen(options.port ?? config.port, config.host);
  try {
    await once(server, 'listening');
  } catch (err) {
    await lifecycle.stop().catch(() => undefined);
    await stopTracing().catch(() => undefined);
    throw err;
  }
  // Bound slow clients: headers within 10 s, whole request within 30 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = config.keepAliveTimeoutSeconds * 1000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // Before the listening line: callers (and tests) treat that line as "started", signal handlers included.
  if (options.announceSetup !== false) await announceSetup(deps);
  log.info({ port, issuer: config.issuer, alg: config.signingAlg }, 'server.listening');
  logStartMode(deps, port);
  const metricsServer =
    config.metricsPort !== undefined && config.metricsEnabled && cluster.isPrimary
      ? // A single process serves its own.
        await startMetricsServer({
          port: config.metricsPort,
          host: config.host,
          token: config.metricsToken,
          source: ownMetrics(deps.metrics),
        })
      : undefined;

  let closing: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown') =>
    (closing ??= (async () => {
      shuttingDown = true;
      log.info({ signal, drainMs: config.shutdownDrainMs }, 'server.stopping');
      shutdownController.abort();
      if (config.shutdownDrainMs > 0) await sleep(config.shutdownDrainMs);
      // Stop accepting; idle keep-alive sockets close now, busy ones after their response.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      deadline.unref();
      await closed;
      clearTimeout(deadline);
      metricsServer?.close();
      await lifecycle.stop();
      // Last: the spans of the final flushes are exported too.
      await stopTracing().catch((err: unknown) => log.warn({ err }, 'tracing.shutdown_failed'));
      log.info('server.stopped');
    })());

  return { server, deps, port, shutdown };
}
