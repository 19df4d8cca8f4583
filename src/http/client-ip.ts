import type { Request } from 'express';

/** `req.ip`, without parsing X-Forwarded-For when no proxy is trusted (docs/PERFORMANCE.md). */
export function clientIp(req: Request): string | undefined {
  return req.app.get('trust proxy') === false ? req.socket.remoteAddress : req.ip;
}
