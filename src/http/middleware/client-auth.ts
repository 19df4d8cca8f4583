import type { Request } from 'express';
import { AppError, clientAuthFailed } from '../../errors.js';
import { isId } from '../../ids.js';

export type ClientCredentials = { keyId: string; secret: string; via: 'basic' | 'body' };

const QUERY_CREDENTIALS = ['secret', 'client_secret', 'key_id', 'client_id', 'org_id', 'api_key', 'password', 'access_token', 'token'];

/** Credentials in a URL end up in proxy and server logs: refuse them before anything else. */
export function assertNoQueryCredentials(req: Request): void {
  // Most requests have no query string at all: skip parsing it.
  if (!req.url.includes('?')) return;
  const q = req.query as Record<string, unknown>;
  if (QUERY_CREDENTIALS.some((k) => k in q)) {
    throw new AppError(
      'invalid_request',
      'credentials must be sent in the request body or Authorization header, never in the query string',
    );
  }
}

export type BodyKind = 'json' | 'form';

/** Only JSON and form bodies are accepted; anything else is the caller's mistake, not ours. */
export function bodyKind(req: Request, allowed: readonly BodyKind[]): BodyKind {
  const kind = req.is('application/json') ? 'json' : req.is('application/x-www-form-urlencoded') ? 'form' : undefined;
  if (kind && allowed.includes(kind)) return kind;
  const expected = allowed.map((k) => (k === 'json' ? 'application/json' : 'application/x-www-form-urlencoded')).join(' or ');
  throw new AppError('invalid_request', `Content-Type must be ${expected}`);
}

/** RFC 6749 §2.3.1: HTTP Basic with form-urlencoded client_id and client_secret. */
function readBasic(header: string | undefined): { keyId: string; secret: string } | undefined | 'malformed' {
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

const CREDENTIAL_FIELDS = ['key_id', 'secret', 'client_id', 'client_secret'] as const;
type CredentialFields = Partial<Record<(typeof CREDENTIAL_FIELDS)[number], string>>;

/** The credential fields of the parsed body (JSON or form); anything but a string is refused. */
function credentialFields(req: Request): CredentialFields | AppError {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const fields: CredentialFields = {};
  for (const name of CREDENTIAL_FIELDS) {
    // Own properties only: a JSON body without `constructor` must not find Object's.
    const value: unknown = Object.hasOwn(body, name) ? (body as Record<string, unknown>)[name] : undefined;
    if (value === undefined) continue;
    if (typeof value !== 'string') return new AppError('invalid_request', `"${name}" must be a string`);
    fields[name] = value;
  }
  // key_id/secret are the JSON form's names. In an OAuth form they used to be read by the limiter
  // but not by authentication, so a stray key_id spent a stranger's budget (issue 16, point 3).
  if ((fields.key_id !== undefined || fields.secret !== undefined) && req.is('application/x-www-form-urlencoded')) {
    return new AppError(
      'invalid_request',
      'a form body names the client with client_id and client_secret (or HTTP Basic), not key_id or secret',
    );
  }
  return fields;
}

/**
 * Only a well-formed key ID goes any further (rate-limit counters, audit rows, logs): a secret sent
 * where the key ID goes must never be echoed, stored or keyed on, so the detail holds no ID at all.
 */
function credentials(keyId: string, secret: string, via: ClientCredentials['via']): ClientCredentials | AppError {
  if (!isId('key', keyId)) return clientAuthFailed('malformed_key_id');
  return { keyId, secret, via };
}

/**
 * Client authentication from exactly one place: HTTP Basic, or the body (`client_id`/`client_secret`,
 * or `key_id`/`secret` in JSON). RFC 6749 §2.3: a client must not use more than one method.
 * Returns the refusal rather than throwing it: the rate limiter reads the same credentials
 * before the route does, so the key it counts is the key that authenticates.
 */
export function clientCredentialsOf(req: Request): ClientCredentials | AppError {
  const basic = readBasic(req.get('authorization'));
  if (basic === 'malformed') return clientAuthFailed('malformed_basic');
  const body = credentialFields(req);
  if (body instanceof AppError) return body;
  if ((body.key_id !== undefined && body.client_id !== undefined) || (body.secret !== undefined && body.client_secret !== undefined)) {
    return new AppError('invalid_request', 'send either key_id/secret or client_id/client_secret, not both');
  }
  const bodyId = body.key_id ?? body.client_id;
  const bodySecret = body.secret ?? body.client_secret;
  if (basic) {
    if (bodySecret !== undefined) {
      return new AppError('invalid_request', 'use exactly one client authentication method (HTTP Basic or the request body)');
    }
    if (bodyId !== undefined && bodyId !== basic.keyId)
      return new AppError('invalid_request', 'client_id in the body does not match HTTP Basic');
    return credentials(basic.keyId, basic.secret, 'basic');
  }
  if (bodyId === undefined || bodySecret === undefined) return clientAuthFailed('no_credentials');
  return credentials(bodyId, bodySecret, 'body');
}

/** The client's credentials, or the reason they are refused, thrown. */
export function readClientCredentials(req: Request): ClientCredentials {
  const creds = clientCredentialsOf(req);
  if (creds instanceof AppError) throw creds;
  return creds;
}
