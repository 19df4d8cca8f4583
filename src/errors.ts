export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_grant: 400,
  invalid_scope: 400,
  invalid_target: 400,
  unsupported_grant_type: 400,
  invalid_client: 401,
  invalid_token: 401,
  invalid_credentials: 401,
  insufficient_scope: 403,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** What the error handler turns into headers; `cause` stays private like `detail`. */
export type AppErrorOptions = {
  cause?: unknown;
  /**
   * `bearer`: a bare challenge with no error code (RFC 6750 §3.1: the request carried no credentials);
   * `bearer-error`: a Bearer challenge naming the error, whatever its code (a malformed header's 400).
   */
  challenge?: 'bearer' | 'bearer-error';
  /**
   * The methods the path answers: the error is then a 405 with this Allow header (RFC 9110 §15.5.6),
   * its code `invalid_request` (RFC 6749 §3.2: a token request must be a POST; anything else is malformed).
   */
  allow?: readonly string[];
  /** Sent as Retry-After on a 429. */
  retryAfterSeconds?: number;
  /** The scope a 403 insufficient_scope names in its challenge (RFC 6750 §3.1). */
  requiredScope?: string;
};

/**
 * The one error type. `code` is stable and public, `description` is written for the caller;
 * `detail` and `cause` are private (logs and audit only).
 */
export class AppError extends Error {
  readonly challenge: 'bearer' | 'bearer-error' | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly allow: readonly string[] | undefined;
  readonly requiredScope: string | undefined;

  constructor(
    readonly code: ErrorCode,
    readonly description: string,
    readonly detail?: Record<string, unknown>,
    options: AppErrorOptions = {},
  ) {
    super(`${code}: ${description}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.challenge = options.challenge;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.allow = options.allow;
    this.requiredScope = options.requiredScope;
  }

  get status(): number {
    return this.allow ? 405 : ERROR_STATUS[this.code];
  }
}

/** The single description every client-authentication failure shares, whatever the real reason. */
const CLIENT_AUTH_FAILED = 'client authentication failed';

export function clientAuthFailed(reason: string, detail: Record<string, unknown> = {}): AppError {
  return new AppError('invalid_client', CLIENT_AUTH_FAILED, { reason, ...detail });
}
