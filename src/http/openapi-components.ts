import { MANAGEMENT_SCOPES, type ManagementScope } from '../domain/scopes.js';
import type { ErrorCode } from '../errors.js';

/** Response headers, named once: an operation's responses point at these. */
export const HEADERS = {
  'X-Request-Id': { description: "this request's ID, also in the service's logs", schema: { type: 'string' } },
  RateLimit: {
    description: 'the limits that applied and what is left of each (IETF draft-ietf-httpapi-ratelimit-headers-08), when rate limits are on',
    schema: { type: 'string' },
    example: '"token-ip"; r=599; t=60',
  },
  'RateLimit-Policy': {
    description: 'the policies of those limits, when rate limits are on',
    schema: { type: 'string' },
    example: '"token-ip"; q=600; w=60',
  },
  'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
  'WWW-Authenticate': {
    description: 'the challenge: Basic on key-credential endpoints; Bearer elsewhere, bare without credentials (RFC 6750 §3)',
    schema: { type: 'string' },
    example: 'Bearer realm="scope-auth", error="invalid_token", error_description="token has expired"',
  },
  ETag: { description: 'validator for If-None-Match', schema: { type: 'string' } },
  'Cache-Control': { description: 'how long the answer may be cached', schema: { type: 'string' } },
} as const;

export type HeaderName = keyof typeof HEADERS;

const SCOPE_DESCRIPTIONS: Record<ManagementScope, string> = {
  'keys:read': 'list and read API keys',
  'keys:write': 'create, change, rotate and revoke API keys',
  'audit:read': 'read audit events and usage',
  'members:read': 'list members and invitations',
  'members:write': 'invite, change and remove members',
  'resources:write': 'declare, change and delete resources',
};

/** `oauth2` is the management token, obtained with client credentials (an API key) at the token endpoint. */
export function securitySchemes(issuer: string) {
  return {
    oauth2: {
      type: 'oauth2',
      description: 'an access token from this service, for MANAGEMENT_AUDIENCE, holding the scopes an operation names',
      flows: {
        clientCredentials: {
          tokenUrl: `${issuer}/oauth/token`,
          scopes: Object.fromEntries(MANAGEMENT_SCOPES.map((s) => [s, SCOPE_DESCRIPTIONS[s]])),
        },
      },
    },
    basic: { type: 'http', scheme: 'basic', description: 'client_id = key ID, client_secret = secret (or both in the form body)' },
    session: {
      type: 'apiKey',
      in: 'cookie',
      name: 'scope-auth-session',
      description:
        'a console session from POST /v1/session (`__Host-scope-auth-session` under https); changes also need the X-CSRF-Token header',
    },
  };
}

/** One example body per error code, as the service writes it. */
export const ERROR_EXAMPLES: Partial<Record<ErrorCode, string>> = {
  invalid_request: '"scope": expected string',
  invalid_client: 'client authentication failed',
  invalid_token: 'token has expired',
  insufficient_scope: 'this call requires scope "keys:write"',
  invalid_scope: 'scope "keys:write" is not granted to this key',
  invalid_target: 'audience "https://other.example" is not granted to this key',
  unsupported_grant_type: 'grant_type "password" is not supported; use client_credentials',
  not_found: 'key not found',
  conflict: 'key is revoked',
  rate_limited: 'too many requests, retry later',
  unavailable: 'the service is unavailable, retry later',
  internal_error: 'internal server error',
};

/** What each tag of the route table groups, in the document's order. */
export const TAG_DESCRIPTIONS: Record<string, string> = {
  token: 'exchange API keys for access tokens; introspect and revoke tokens (RFC 6749, 7662, 7009)',
  operations: 'liveness and readiness',
  discovery: 'signing keys and server metadata (RFC 7517, RFC 8414)',
  keys: "API keys of the caller's organisation",
  audit: 'who did what, when and from where',
  revocation: 'the revocation list and its live stream, for verifiers',
  people: 'sign-in, sessions, the account, members, invitations and organisation settings',
  'signing-keys': "the service's token signing keys, for owners (public data only)",
};
