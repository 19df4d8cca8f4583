/**
 * Codes a `ScopeAuthError` can carry. The first group comes from the service's error body
 * (`{"error","error_description"}`); the second is raised by the SDK itself.
 */
export type ScopeAuthErrorCode =
  // From the service (DESIGN.md "Errors").
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_grant_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal_error'
  // Raised by the SDK.
  /** The token is malformed, badly signed, of the wrong type, issuer or audience. */
  | 'invalid_token'
  /** The token's `exp` has passed (beyond the clock tolerance). */
  | 'token_expired'
  /** The token or its key was revoked. */
  | 'token_revoked'
  /** The token lacks a required scope (HTTP 403). */
  | 'insufficient_scope'
  /** The auth service could not be reached (no HTTP status). */
  | 'network_error';

export type ScopeAuthErrorOptions = {
  /** HTTP status of the service's answer, or the status the middleware answers with. */
  status?: number;
  /** Seconds the service asked to wait (`Retry-After` on 429/503). */
  retryAfterSeconds?: number;
  /** For `insufficient_scope`: the scopes that were required. */
  scope?: string;
  cause?: unknown;
};

/**
 * The one error type of the SDK. Branch on `code` (stable); `description` is safe to show.
 * A code the service adds later arrives as-is, hence `string` in the type.
 */
export class ScopeAuthError extends Error {
  readonly code: ScopeAuthErrorCode | (string & {});
  readonly status: number | undefined;
  readonly description: string;
  readonly retryAfterSeconds: number | undefined;
  readonly scope: string | undefined;

  constructor(code: ScopeAuthErrorCode | (string & {}), description: string, options: ScopeAuthErrorOptions = {}) {
    super(`${code}: ${description}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScopeAuthError';
    this.code = code;
    this.description = description;
    this.status = options.status;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.scope = options.scope;
  }
}

export function isScopeAuthError(err: unknown): err is ScopeAuthError {
  return err instanceof ScopeAuthError;
}
