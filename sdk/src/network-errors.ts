type ErrorLike = { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
// Duck-typed: errors from fetch's own realm are not always `instanceof Error` of the caller's.
const isErrorLike = (v: unknown): v is ErrorLike => typeof v === 'object' && v !== null && 'message' in v;

/** What went wrong with a fetch, in words: the system error code (ECONNREFUSED, ENOTFOUND…) and message. */
export function describeCause(err: unknown): string {
  if (!isErrorLike(err)) return String(err);
  if (err.name === 'TimeoutError') return 'timed out';
  if (err.name === 'AbortError') return 'aborted';
  const cause = err.cause;
  if (isErrorLike(cause)) return typeof cause.code === 'string' ? `${cause.code} (${String(cause.message)})` : String(cause.message);
  return String(err.message);
}
