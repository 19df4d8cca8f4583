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

/**
 * Waits until no connection has been accepted for `quietMs` (at most `maxMs`): the kernel's queue of
 * connections that completed while the process was busy or stopped is then empty. Closing the
 * listening socket makes the kernel reset every connection still queued (the client sees
 * ECONNRESET); Node takes them from the queue about one a millisecond.
 */
export async function acceptQueued(server: http.Server, { quietMs, maxMs }: { quietMs: number; maxMs: number }): Promise<number> {
  let accepted = 0;
  let last = performance.now();
  const count = () => {
    accepted++;
    last = performance.now();
  };
  server.on('connection', count);
  const until = last + maxMs;
  try {
    while (performance.now() - last < quietMs && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 1));
  } finally {
    server.off('connection', count);
  }
  return accepted;
}
