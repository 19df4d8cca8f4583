import express from 'express';
import request from 'supertest';
import { AppError, type AppErrorOptions, type ErrorCode } from '../../src/errors.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { requestId } from '../../src/http/middleware/request-id.js';
import { createLogger } from '../../src/log.js';

type Expected = { status: number; wwwAuthenticate?: string; retryAfter?: string; allow?: string };

/** What each code looks like on the wire (STYLE.md "Errors", RFC 6749 §5.2, RFC 6750 §3), written out. */
const BY_CODE: Record<ErrorCode, Expected> = {
  invalid_request: { status: 400 },
  invalid_grant: { status: 400 },
  invalid_scope: { status: 400 },
  invalid_target: { status: 400 },
  unsupported_grant_type: { status: 400 },
  invalid_client: { status: 401, wwwAuthenticate: 'Basic realm="scope-auth", charset="UTF-8"' },
  invalid_token: { status: 401, wwwAuthenticate: 'Bearer realm="scope-auth", error="invalid_token", error_description="it failed"' },
  invalid_credentials: { status: 401, wwwAuthenticate: 'Session realm="scope-auth"' },
  forbidden: { status: 403 },
  csrf_failed: { status: 403 },
  insufficient_scope: {
    status: 403,
    wwwAuthenticate: 'Bearer realm="scope-auth", error="insufficient_scope", error_description="it failed"',
  },
  not_found: { status: 404 },
  conflict: { status: 409 },
  rate_limited: { status: 429 },
  internal_error: { status: 500 },
  unavailable: { status: 503, retryAfter: '5' },
};

/** The typed fields, and what the handler makes of them. */
const WITH_OPTIONS: Array<[string, ErrorCode, string, AppErrorOptions, Expected]> = [
  [
    'a bare Bearer challenge',
    'invalid_token',
    'an access token is required',
    { challenge: 'bearer' },
    { status: 401, wwwAuthenticate: 'Bearer realm="scope-auth"' },
  ],
  [
    'the scope a 403 requires',
    'insufficient_scope',
    'this call requires scope "keys:write"',
    { requiredScope: 'keys:write' },
    {
      status: 403,
      wwwAuthenticate: `Bearer realm="scope-auth", error="insufficient_scope", error_description="this call requires scope 'keys:write'", scope="keys:write"`,
    },
  ],
  [
    'a description made safe for the header',
    'invalid_token',
    'bad\n"token"\\',
    {},
    { status: 401, wwwAuthenticate: `Bearer realm="scope-auth", error="invalid_token", error_description="bad?'token''"` },
  ],
  ['a 405 with Allow', 'invalid_request', 'method GET is not allowed here; use POST', { allow: ['POST'] }, { status: 405, allow: 'POST' }],
  [
    'a Bearer challenge naming a 400',
    'invalid_request',
    'Authorization header must be "Bearer <token>"',
    { challenge: 'bearer-error' },
    {
      status: 400,
      wwwAuthenticate: `Bearer realm="scope-auth", error="invalid_request", error_description="Authorization header must be 'Bearer <token>'"`,
    },
  ],
  ['Retry-After on a 429', 'rate_limited', 'too many requests, retry later', { retryAfterSeconds: 7 }, { status: 429, retryAfter: '7' }],
];

/** Errors that are not AppErrors: the caller's malformed input is a 4xx, anything else a 500 that says nothing. */
const FOREIGN: Array<[string, unknown, Expected, { error: ErrorCode; error_description: string }]> = [
  ['a bug', new Error('secret detail'), { status: 500 }, { error: 'internal_error', error_description: 'internal server error' }],
  [
    'malformed JSON',
    Object.assign(new Error('x'), { type: 'entity.parse.failed', status: 400 }),
    { status: 400 },
    { error: 'invalid_request', error_description: 'request body is not valid JSON' },
  ],
  [
    'an oversized body',
    Object.assign(new Error('x'), { type: 'entity.too.large', status: 413 }),
    { status: 400 },
    { error: 'invalid_request', error_description: 'request body is too large' },
  ],
  [
    'a 4xx from express',
    Object.assign(new Error('x'), { status: 400 }),
    { status: 400 },
    { error: 'invalid_request', error_description: 'malformed request' },
  ],
];

const log = createLogger('silent');

function appThrowing(err: unknown) {
  const app = express();
  app.use(requestId(log));
  app.get('/', () => {
    throw err;
  });
  app.use(errorHandler);
  return app;
}

async function expectAnswer(err: unknown, expected: Expected, body: object): Promise<void> {
  const res = await request(appThrowing(err)).get('/');
  expect({
    status: res.status,
    body: res.body as unknown,
    wwwAuthenticate: res.headers['www-authenticate'],
    retryAfter: res.headers['retry-after'],
    allow: res.headers['allow'],
  }).toEqual({
    status: expected.status,
    body,
    wwwAuthenticate: expected.wwwAuthenticate,
    retryAfter: expected.retryAfter,
    allow: expected.allow,
  });
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
}

describe('the error handler', () => {
  it.each(Object.entries(BY_CODE))('answers %s with its status, the error body and its headers', async (code, expected) => {
    await expectAnswer(new AppError(code as ErrorCode, 'it failed', { private: 'never sent' }), expected, {
      error: code,
      error_description: 'it failed',
    });
  });

  it.each(WITH_OPTIONS)('sends %s', async (_what, code, description, options, expected) => {
    await expectAnswer(new AppError(code, description, undefined, options), expected, { error: code, error_description: description });
  });

  it.each(FOREIGN)('answers %s without echoing it', async (_what, err, expected, body) => {
    await expectAnswer(err, expected, body);
  });
});
