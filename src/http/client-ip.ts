import type { Request } from 'express';

/**
 * The client's address, as express's `req.ip` gives it. With no proxy trusted (`TRUST_PROXY=false`,
 * the default) that is the socket's address, which `req.ip` returns only after parsing
 * X-Forwarded-For into a list of addresses: 3.4 µs of an exchange's 240 in a CPU profile, and
 * the token endpoint asks twice when rate limits are on.
 */
export function clientIp(req: Request): string | undefined {
  return req.app.get('trust proxy') === false ? req.socket.remoteAddress : req.ip;
}
