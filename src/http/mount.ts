import type { Express, RequestHandler } from 'express';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { managementAuthentication, managementAuthorization } from './middleware/session-auth.js';
import { assertNoQueryCredentials } from './middleware/client-auth.js';
import { noStore, setNoStore } from './middleware/no-store.js';
import type { Limiters } from './middleware/rate-limit.js';
import { operationsOf, type RouteAuth, type RouteContext, type RouteHandler } from './route.js';

/**
 * Runs middleware one after the other inside a single express layer, forwarding throws and
 * rejections to express as its own layers would. Every layer costs time per request: docs/PERFORMANCE.md.
 */
export function inOneLayer(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined || i === handlers.length) {
        next(err);
        return;
      }
      const handler = handlers[i++]!;
      try {
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise) result.catch((e: unknown) => step(e ?? new Error('rejected promise')));
      } catch (e) {
        step(e ?? new Error('thrown undefined'));
      }
    };
    step();
  };
}

/** Refuses URL credentials and marks the answer no-store before anything is counted or read. */
const clientGuard: RequestHandler = (req, res, next) => {
  setNoStore(res);
  assertNoQueryCredentials(req);
  next();
};

/** The middleware a route's `auth` puts in front of its handler. */
function authSteps(auth: RouteAuth, deps: Deps, limiters: Limiters): RequestHandler[] {
  switch (auth.kind) {
    case 'public':
      return auth.perIp ? [limiters.perIp] : [];
    case 'client':
      return [clientGuard, limiters.clientAuth];
    case 'bearer':
      // Limited per organisation, so after the token or session says which one; management answers are never cached.
      return [
        noStore,
        managementAuthentication(deps, { bearer: true }),
        limiters.management,
        managementAuthorization(auth.scopes, auth.permission),
      ];
    case 'session':
      return [
        noStore,
        managementAuthentication(deps, { bearer: false }),
        limiters.management,
        managementAuthorization([], auth.permission),
      ];
  }
}

const lastStep =
  (handler: RouteHandler): RequestHandler =>
  (req, res) =>
    handler(req, res);

/**
 * Mounts the table in its order, each route in one express layer at all of its paths; then, at each
 * path, 405 with `Allow` for the methods it does not answer (RFC 9110 §15.5.6), e.g. GET /oauth/token.
 */
export function mountRoutes(app: Express, ctx: RouteContext, limiters: Limiters): void {
  const methodsByPath = new Map<string, string[]>();
  for (const route of ctx.routes) {
    const paths = operationsOf(route).map((o) => o.path);
    app[route.method](paths, inOneLayer(...authSteps(route.auth, ctx.deps, limiters), lastStep(route.handler(ctx))));
    for (const path of paths)
      methodsByPath.set(path, [
        ...(methodsByPath.get(path) ?? []),
        ...(route.method === 'get' ? ['GET', 'HEAD'] : [route.method.toUpperCase()]),
      ]);
  }
  for (const [path, allow] of methodsByPath) app.all(path, methodNotAllowed(allow));
}

function methodNotAllowed(allow: readonly string[]): RequestHandler {
  return (req) => {
    throw new AppError(
      'invalid_request',
      `method ${req.method.replace(/[^A-Z]/g, '?').slice(0, 20)} is not allowed here; use ${allow.join(' or ')}`,
      undefined,
      { allow },
    );
  };
}
