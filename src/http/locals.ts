import type { Request, Response } from 'express';
import type { RequestContext } from '../domain/audit.js';
import type { Logger } from '../log.js';
import { clientIp } from './client-ip.js';
import type { AccessClaims } from './middleware/bearer-auth.js';
import type { Person } from '../domain/people/sessions.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      requestId: string;
      log: Logger;
      /** From a valid W3C `traceparent` header, for every log line of the request. */
      traceId?: string;
      /** The key a token exchange authenticated, for the access line. */
      keyId?: string;
      /** Set by bearer-auth on management routes. */
      claims?: AccessClaims;
      /** Set by session auth: the signed-in person (never together with `claims`). */
      person?: Person;
    }
  }
}

export function requestContext(req: Request, res: Response): RequestContext {
  return {
    ip: clientIp(req) ?? null,
    userAgent: req.get('user-agent')?.slice(0, 512) ?? null,
    requestId: res.locals.requestId,
  };
}
