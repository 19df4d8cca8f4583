import { describeCause } from './network-errors.js';
import { ScopeAuthError } from './errors.js';
import { isRecord } from './json.js';
import { parseRetryAfterMs, type AttemptOutcome } from './retry.js';

export type ExchangeRequest = {
  orgId: string;
  apiKey: string;
  apiSecret: string;
  scope?: string;
  audience?: string;
};

/** The token endpoint's answer, camelCased. */
export type TokenResponse = {
  accessToken: string;
  expiresInSeconds: number;
  scope: string;
};

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** One `POST /v1/token`, classified for `withRetry`: never throws. */
export async function attemptExchange(
  fetchImpl: FetchLike,
  tokenUrl: string,
  request: ExchangeRequest,
  signal: AbortSignal,
  nowMs: () => number,
): Promise<AttemptOutcome<TokenResponse>> {
  const body = {
    org_id: request.orgId,
    key_id: request.apiKey,
    secret: request.apiSecret,
    ...(request.scope === undefined ? {} : { scope: request.scope }),
    ...(request.audience === undefined ? {} : { audience: request.audience }),
  };
  let res: Response;
  try {
    res = await fetchImpl(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    return {
      ok: false,
      retryable: true,
      error: new ScopeAuthError('network_error', `could not reach the token endpoint ${String(tokenUrl)}: ${describeCause(err)}`, {
        cause: err,
      }),
    };
  }

  let payload: unknown;
  try {
    payload = await res.json();
  } catch (err) {
    payload = undefined;
    if (res.ok) return { ok: false, retryable: true, error: malformed(res.status, err) };
  }

  if (res.ok) {
    const token = readTokenResponse(payload);
    return token ? { ok: true, value: token } : { ok: false, retryable: false, error: malformed(res.status) };
  }
  return classifyFailure(res, payload, nowMs());
}

function classifyFailure(res: Response, payload: unknown, nowMs: number): AttemptOutcome<never> {
  const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfterMs(res.headers.get('retry-after'), nowMs) : undefined;
  const { code, description } = readErrorBody(payload, res.status);
  const error = new ScopeAuthError(code, description, {
    status: res.status,
    retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
  });
  // Never a 4xx, 429 included (DESIGN.md): the client keeps the 429's Retry-After instead, and
  // does not ask again before it (TokenClient).
  const retryable = res.status >= 500;
  return { ok: false, error, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

function readErrorBody(payload: unknown, status: number): { code: string; description: string } {
  if (isRecord(payload) && typeof payload.error === 'string') {
    const description = typeof payload.error_description === 'string' ? payload.error_description : payload.error;
    return { code: payload.error, description };
  }
  if (status === 429) return { code: 'rate_limited', description: 'too many requests' };
  if (status === 503) return { code: 'unavailable', description: 'service unavailable' };
  if (status >= 500) return { code: 'internal_error', description: `token endpoint answered HTTP ${status}` };
  return { code: 'invalid_request', description: `token endpoint answered HTTP ${status}` };
}

function readTokenResponse(payload: unknown): TokenResponse | undefined {
  if (!isRecord(payload)) return undefined;
  const { access_token, token_type, expires_in, scope } = payload;
  if (typeof access_token !== 'string' || access_token.length === 0) return undefined;
  if (typeof token_type !== 'string' || token_type.toLowerCase() !== 'bearer') return undefined;
  if (typeof expires_in !== 'number' || !Number.isFinite(expires_in) || expires_in <= 0) return undefined;
  return { accessToken: access_token, expiresInSeconds: expires_in, scope: typeof scope === 'string' ? scope : '' };
}

function malformed(status: number, cause?: unknown): ScopeAuthError {
  return new ScopeAuthError('internal_error', 'token endpoint sent a malformed response', { status, cause });
}
