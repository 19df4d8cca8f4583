import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Deps } from './deps.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { cors } from './http/middleware/cors.js';
import { createLimiters } from './http/middleware/rate-limit.js';
import { requestId } from './http/middleware/request-id.js';
import { buildOpenApi, type RouteDoc } from './http/openapi.js';
import { auditDocs, auditRoutes } from './http/routes/audit-events.js';
import { discoveryDocs, discoveryRoutes } from './http/routes/discovery.js';
import { healthDocs, healthRoutes } from './http/routes/health.js';
import { keyDocs, keyRoutes } from './http/routes/keys.js';
import { oauthDocs, oauthRoutes } from './http/routes/oauth.js';
import { revocationDocs, revocationRoutes } from './http/routes/revocations.js';
import { mountTokenRoutes, tokenDocs } from './http/routes/token.js';
import { VERSION } from './version.js';

export const BODY_LIMIT_BYTES = 16 * 1024;

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

export function routeDocs(): RouteDoc[] {
  return [...tokenDocs, ...oauthDocs, ...keyDocs, ...auditDocs, ...revocationDocs, ...discoveryDocs, ...healthDocs];
}

/** Runs synchronous middleware one after the other inside a single express layer. */
function inOneLayer(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown) => {
      if (err !== undefined || i === handlers.length) {
        next(err);
        return;
      }
      handlers[i++]!(req, res, step);
    };
    step();
  };
}

/** Builds the HTTP app; never listens, so tests and the server wire it the same way. */
export function createApp(deps: Deps, options: AppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.config.trustProxy);

  // Request ID and security headers in one layer: each express layer costs microseconds per request.
  app.use(inOneLayer(requestId(deps.log), helmet(API_HEADERS)));
  if (deps.config.corsOrigins.length > 0) app.use(cors(deps.config.corsOrigins));
  app.use(express.json({ limit: BODY_LIMIT_BYTES, strict: true }));
  app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES, parameterLimit: 100 }));

  // The token endpoint first: it is the hot path, so it should meet as few layers as possible.
  const limits = createLimiters(deps);
  mountTokenRoutes(app, deps, limits.clientAuth);

  const openapi = JSON.stringify(buildOpenApi(deps.config.issuer, VERSION, routeDocs()));
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  app.use(healthRoutes(deps, options.isShuttingDown ?? (() => false)));
  app.use(discoveryRoutes(deps));
  app.use(oauthRoutes(deps, limits.clientAuth));
  app.use(keyRoutes(deps, limits.management));
  app.use(auditRoutes(deps, limits.management));
  app.use(
    revocationRoutes(deps, {
      heartbeatMs: deps.config.sseHeartbeatSeconds * 1000,
      maxStreams: deps.config.sseMaxStreams,
      maxPerClient: deps.config.sseMaxStreamsPerClient,
      maxAgeMs: deps.config.sseMaxStreamSeconds * 1000,
      shutdown: options.shutdownSignal ?? new AbortController().signal,
    }),
  );

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
