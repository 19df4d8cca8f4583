// The package's whole public surface: every export is listed here by name.
export { ScopeAuthError, isScopeAuthError } from './errors.js';
export type { ScopeAuthErrorCode, ScopeAuthErrorOptions } from './errors.js';
export type { Clock } from './clock.js';
export type { RetryOptions } from './retry.js';
export type { FetchLike } from './token-exchange.js';
export { TokenClient } from './token-client.js';
export type { TokenClientOptions } from './token-client-options.js';
export { createVerifier, DEFAULT_ALGORITHMS } from './verifier.js';
export type { Verifier, VerifierOptions, VerifyOptions, RevocationOptions } from './verifier.js';
export type { RedisLocation, RedisRevocationOptions } from './revocation/redis-source.js';
export type { HttpRevocationOptions } from './revocation/http-source.js';
export type { Claims } from './claims.js';
export { requireAuth } from './middleware.js';
export type { RequireAuthOptions } from './middleware.js';
