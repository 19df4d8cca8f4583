import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';
import { isDatabaseUnavailable } from '../storage/db.js';

const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

// body-parser's error types: all of them are the caller's fault.
const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'request body is not valid JSON',
  'entity.too.large': 'request body is too large',
  'encoding.unsupported': 'unsupported content encoding',
  'charset.unsupported': 'unsupported charset',
  'request.size.invalid': 'request body length does not match Content-Length',
  'request.aborted': 'request was aborted',
  'parameters.too.many': 'too many form parameters',
  'stream.encoding.set': 'invalid request stream',
};

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const type = (err as { type?: string }).type;
  if (type && BODY_ERRORS[type]) return new AppError('invalid_request', BODY_ERRORS[type], { type });
  const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Anything else express itself rejects as the client's fault (bad URL encoding and the like).
    return new AppError('invalid_request', 'malformed request', { status }, { cause: err });
  }
  if (isDatabaseUnavailable(err)) {
    return new AppError('unavailable', 'service temporarily unavailable, retry later', { reason: 'database_unavailable' }, { cause: err });
  }
  return new AppError('internal_error', 'internal server error', undefined, { cause: err });
}

function quote(s: string): string {
  return s.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
}

/** Every error leaves as `{"error","error_description"}` with its status and the RFC 6750/6749 headers. */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const e = toAppError(err);
  const log = res.locals.log;
  // The path only: a query string may hold credentials someone pasted where they should not.
  const fields = {
    requestId: res.locals.requestId,
    traceId: res.locals.traceId,
    method: req.method,
    path: req.path,
    status: e.status,
    code: e.code,
    detail: e.detail,
    requiredScope: e.requiredScope,
    retryAfterSeconds: e.retryAfterSeconds,
  };
  if (e.status >= 500) log.error({ ...fields, err: e.cause ?? e }, 'request.failed');
  else log.info(fields, 'request.rejected');
  setErrorHeaders(res, e);
  res.status(e.status).json({ error: e.code, error_description: e.description });
};

/** RFC 6750 §3 and RFC 6749 §5.2 challenges on 401/403, Allow on 405, Retry-After on 429 and 503. */
function setErrorHeaders(res: Response, e: AppError): void {
  if (e.code === 'invalid_client') res.setHeader('WWW-Authenticate', 'Basic realm="scope-auth", charset="UTF-8"');
  // RFC 9110 §15.5.2: every 401 names a scheme; a person signs in with a form, never with a browser prompt.
  if (e.code === 'invalid_credentials') res.setHeader('WWW-Authenticate', 'Session realm="scope-auth"');
  if (e.challenge === 'bearer') {
    res.setHeader('WWW-Authenticate', 'Bearer realm="scope-auth"');
  } else if (e.code === 'invalid_token' || e.code === 'insufficient_scope' || e.challenge === 'bearer-error') {
    const scope = e.requiredScope === undefined ? '' : `, scope="${quote(e.requiredScope)}"`;
    res.setHeader('WWW-Authenticate', `Bearer realm="scope-auth", error="${e.code}", error_description="${quote(e.description)}"${scope}`);
  }
  if (e.code === 'unavailable') res.setHeader('Retry-After', String(RETRY_AFTER_UNAVAILABLE_SECONDS));
  if (e.allow) res.setHeader('Allow', e.allow.join(', '));
  if (e.code === 'rate_limited' && e.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(e.retryAfterSeconds));
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path.slice(0, 200).replace(/[^\x20-\x7e]/g, '?')}`));
};
