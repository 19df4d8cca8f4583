import type { Request, RequestHandler } from 'express';
import { AppError, clientAuthFailed } from '../../errors.js';

export type ClientCredentials = { keyId: string; secret: string; via: 'basic' | 'body' };

const QUERY_CREDENTIALS = ['secret', 'client_secret', 'key_id', 'client_id', 'org_id', 'api_key', 'password', 'access_token', 'token'];

/** Credentials in a URL end up in proxy and server logs: refuse them before anything else. */
export function assertNoQueryCredentials(req: Request): void {
  // Most requests have no query string at all: skip parsing it.
  if (!req.url.includes('?')) return;
  const q = req.query as Record<string, unknown>;
  if (QUERY_CREDENTIALS.some((k) => k in q)) {
    throw new AppError('invalid_request', 'credentials must be sent in the request body or Authorization header, never in the query string');
  }
}

export const rejectQueryCredentials: RequestHandler = (req, _res, next) => {
  assertNoQueryCredentials(req);
  next();
};

export type BodyKind = 'json' | 'form';

/** Only JSON and form bodies are accepted; anything else is the caller's mistake, not ours. */
export function bodyKind(req: Request, allowed: readonly BodyKind[]): BodyKind {
  const kind = req.is('application/json') ? 'json' : req.is('application/x-www-form-urlencoded') ? 'form' : undefined;
  if (kind && allowed.includes(kind)) return kind;
  const expected = allowed.map((k) => (k === 'json' ? 'application/json' : 'application/x-www-form-urlencoded')).join(' or ');
  throw new AppError('invalid_request', `Content-Type must be ${expected}`);
}

/** RFC 6749 §2.3.1: HTTP Basic with form-urlencoded client_id and client_secret. */
export function readBasic(header: string | undefined): { keyId: string; secret: string } | undefined | 'malformed' {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  try {
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { keyId: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return 'malformed';
  }
}

/**
 * Client authentication from exactly one place: HTTP Basic, or the body (`client_id`/`client_secret`,
 * or `key_id`/`secret` in JSON). RFC 6749 §2.3: a client must not use more than one method.
 */
export function readClientCredentials(
  req: Request,
  body: { key_id?: string; secret?: string; client_id?: string; client_secret?: string },
): ClientCredentials {
  const basic = readBasic(req.get('authorization'));
  if (basic === 'malformed') throw clientAuthFailed('malformed_basic');
  if ((body.key_id !== undefined && body.client_id !== undefined) || (body.secret !== undefined && body.client_secret !== undefined)) {
    throw new AppError('invalid_request', 'send either key_id/secret or client_id/client_secret, not both');
  }
  const bodyId = body.key_id ?? body.client_id;
  const bodySecret = body.secret ?? body.client_secret;
  if (basic) {
    if (bodySecret !== undefined) {
      throw new AppError('invalid_request', 'use exactly one client authentication method (HTTP Basic or the request body)');
    }
    if (bodyId !== undefined && bodyId !== basic.keyId) throw new AppError('invalid_request', 'client_id in the body does not match HTTP Basic');
    return { ...basic, via: 'basic' };
  }
  if (bodyId === undefined || bodySecret === undefined) throw clientAuthFailed('no_credentials');
  return { keyId: bodyId, secret: bodySecret, via: 'body' };
}
