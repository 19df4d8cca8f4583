import { once } from 'node:events';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from './app.js';
import { createHttpServer } from './http/server.js';
import type { Config } from './config.js';
import { createDeps, type Deps, type DepsOverrides } from './deps.js';
import { createLifecycle } from './lifecycle.js';
import { issueSetupUrl } from './domain/people/setup.js';
import { migrateDatabase } from './storage/db.js';

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
  process.stderr.write(`\nNo user yet. Create the first owner (valid until ${setup.expiresAt.toISOString()}, once):\n  ${setup.url}\nor headless: npx scope-auth user create --email E --org-name NAME --role owner --password-stdin\n\n`);
}

export async function startServer(
  config: Config,
  options: DepsOverrides & { migrate?: boolean; port?: number; /** Print a first-owner setup URL on a store with no user (default true). */ announceSetup?: boolean } = {},
): Promise<RunningServer> {
  const deps = createDeps(config, options);
  const { log } = deps;
  for (const name of config.devDefaults) {
    log.warn(`${name} is not set: using an insecure development default. Set it before any real use (required when NODE_ENV=production).`);
  }
  for (const warning of config.warnings) log.warn(warning);
  if (options.migrate) {
    const applied = await migrateDatabase(config.databaseUrl);
    if (applied.length > 0) log.info({ applied }, 'migrations.applied');
  }
  const lifecycle = createLifecycle(deps);
  await lifecycle.start();

  let shuttingDown = false;
  const shutdownController = new AbortController();
  const app = createApp(deps, { isShuttingDown: () => shuttingDown, shutdownSignal: shutdownController.signal });
  const server = createHttpServer(app).listen(options.port ?? config.port, config.host);
  await once(server, 'listening');
  // Bound slow clients: headers within 10 s, whole request within 30 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // Before the listening line: callers (and tests) treat that line as "started", signal handlers included.
  if (options.announceSetup !== false) await announceSetup(deps);
  log.info({ port, issuer: config.issuer, alg: config.signingAlg }, 'server.listening');

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
      await lifecycle.stop();
      log.info('server.stopped');
    })());

  return { server, deps, port, shutdown };
}
