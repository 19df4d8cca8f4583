import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Deps } from './deps.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { consoleRouter } from './http/console/static.js';
import { cors } from './http/middleware/cors.js';
import { createLimiters } from './http/middleware/rate-limit.js';
import { requestId } from './http/middleware/request-id.js';
import { requestObserver } from './http/middleware/request-observer.js';
import { inOneLayer, mountRoutes } from './http/mount.js';
import { operationsOf } from './http/route.js';
import { routes } from './http/routes/index.js';
import { tracing } from './tracing.js';

const BODY_LIMIT_BYTES = 16 * 1024;

// A JSON API serves no HTML: keep the headers that protect one (nosniff, HSTS, a CSP that forbids
// everything, no framing, no referrer) and drop the page-oriented ones, which cost time on every answer.
const API_HEADERS = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  xFrameOptions: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
};

export type AppOptions = {
  isShuttingDown?: () => boolean;
  /** Aborted at shutdown: long-lived responses (SSE) end so the server can close. */
  shutdownSignal?: AbortSignal;
};

/** Builds the HTTP app; never listens, so tests and the server wire it the same way. */
export function createApp(deps: Deps, options: AppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.config.trustProxy);

  // With tracing on (startTracing ran first), every request in a server span; off, no layer at all.
  if (tracing.requestLayer) app.use(tracing.requestLayer);
  // Request ID and security headers in one layer: each express layer costs time per request (docs/PERFORMANCE.md).
  // While draining for shutdown, every answer closes its connection: a keep-alive client then opens its
  // next request elsewhere, instead of racing the idle-connection close at the end of the drain (ECONNRESET).
  const isShuttingDown = options.isShuttingDown ?? (() => false);
  const closeWhileDraining: express.RequestHandler = (_req, res, next) => {
    if (isShuttingDown()) res.setHeader('Connection', 'close');
    next();
  };
  app.use(inOneLayer(requestId(deps.log), requestObserver(deps), helmet(API_HEADERS), closeWhileDraining));
  if (deps.config.corsOrigins.length > 0)
    app.use(
      cors(
        deps.config.corsOrigins,
        routes.filter((r) => r.cors).flatMap((r) => operationsOf(r).map((o) => o.path)),
      ),
    );
  app.use(express.json({ limit: BODY_LIMIT_BYTES, strict: true }));
  app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES, parameterLimit: 100 }));

  mountRoutes(
    app,
    {
      deps,
      isShuttingDown,
      shutdownSignal: options.shutdownSignal ?? new AbortController().signal,
      routes,
    },
    createLimiters(deps),
  );

  const consolePages = consoleRouter();
  if (consolePages) app.use('/console', consolePages);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
