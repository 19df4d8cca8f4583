export { ScopeAuthError, isScopeAuthError } from './errors.js';
export type { ScopeAuthErrorCode, ScopeAuthErrorOptions } from './errors.js';
export type { Clock } from './clock.js';
export type { RetryOptions } from './retry.js';
export type { FetchLike } from './token-exchange.js';
export { TokenClient } from './token-client.js';
export type { TokenClientOptions } from './token-client-options.js';
