export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_grant: 400,
  invalid_scope: 400,
  invalid_target: 400,
  unsupported_grant_type: 400,
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The one error type. `code` is stable and public, `description` is written for the caller;
 * `detail` and `cause` are private (logs and audit only).
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly description: string,
    readonly detail?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${description}`, options);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** The single description every client-authentication failure shares, whatever the real reason. */
export const CLIENT_AUTH_FAILED = 'client authentication failed';

export function clientAuthFailed(reason: string, detail: Record<string, unknown> = {}): AppError {
  return new AppError('invalid_client', CLIENT_AUTH_FAILED, { reason, ...detail });
}
