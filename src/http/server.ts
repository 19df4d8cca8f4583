import http from 'node:http';
import type { Express, Request, Response } from 'express';

/**
 * The HTTP server for an express app, with requests and responses born with express's prototypes,
 * so express's per-request `setPrototypeOf` changes nothing and they share one hidden class
 * (docs/PERFORMANCE.md, "express's per-request prototypes").
 */
export function createHttpServer(app: Express): http.Server {
  const classes = wired.get(app) ?? wire(app);
  return http.createServer(classes, app);
}

type Classes = { IncomingMessage: typeof http.IncomingMessage; ServerResponse: typeof http.ServerResponse };

// Once per app, so a second server for the same app does not lengthen the chain again.
const wired = new WeakMap<Express, Classes>();

function wire(app: Express): Classes {
  class AppRequest extends http.IncomingMessage {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  class AppResponse<R extends http.IncomingMessage = http.IncomingMessage> extends http.ServerResponse<R> {}
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  // express reads these for its per-request call: the subclasses' prototypes, with the originals one link down.
  app.request = AppRequest.prototype as Request;
  app.response = AppResponse.prototype as Response;
  const classes: Classes = { IncomingMessage: AppRequest, ServerResponse: AppResponse };
  wired.set(app, classes);
  return classes;
}
