import type { Claims } from './claims.js';
import { ScopeAuthError } from './errors.js';
import { canonicalResource } from './resource-metadata.js';
import type { Verifier } from './verifier.js';

/** The MCP TypeScript SDK's `AuthInfo` (`@modelcontextprotocol/sdk/server/auth/types.js`). */
export type McpAuthInfo = {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  resource?: URL;
  extra?: Record<string, unknown>;
};

/** The MCP TypeScript SDK's `OAuthTokenVerifier`, as `requireBearerAuth({ verifier })` takes it. */
export type McpTokenVerifier = { verifyAccessToken(token: string): Promise<McpAuthInfo> };

type McpErrors = {
  InvalidTokenError: new (m: string) => Error;
  InsufficientScopeError: new (m: string) => Error;
  ServerError: new (m: string) => Error;
};
const MCP_ERRORS = '@modelcontextprotocol/sdk/server/auth/errors.js';

/**
 * An adapter for the MCP TypeScript SDK's bearer-auth middleware: our verifier (signature,
 * issuer, exact audience, expiry, revocation, scopes) behind its `OAuthTokenVerifier` interface.
 * `resource`, the server's canonical URI, is reported as the token's `resource`; the verifier
 * must have been created with it as its `audience`. Failures become the MCP SDK's own error
 * classes (an optional peer dependency, loaded only on a failure), so it answers 401/403 itself.
 */
export function mcpTokenVerifier(verifier: Verifier, options: { resource: string }): McpTokenVerifier {
  const resource = canonicalResource(options.resource);
  return {
    async verifyAccessToken(token) {
      let claims: Claims;
      try {
        claims = await verifier.verify(token);
      } catch (err) {
        throw await toMcpError(err);
      }
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      // Exact match on the canonical URI: a token for another resource is no token here.
      if (!audiences.includes(options.resource))
        throw await toMcpError(new ScopeAuthError('invalid_token', 'token was not issued for this resource', { status: 401 }));
      return {
        token,
        clientId: claims.client_id,
        scopes: claims.scope === '' ? [] : claims.scope.split(' '),
        expiresAt: claims.exp,
        resource,
        extra: { sub: claims.sub, orgId: claims.org_id, jti: claims.jti, ...(claims.env ? { env: claims.env } : {}) },
      };
    },
  };
}

async function toMcpError(err: unknown): Promise<unknown> {
  if (!(err instanceof ScopeAuthError)) return err;
  const errors = (await import(MCP_ERRORS)) as McpErrors;
  if (err.code === 'insufficient_scope') return new errors.InsufficientScopeError(err.description);
  if (err.code === 'unavailable') return new errors.ServerError(err.description);
  return new errors.InvalidTokenError(err.description);
}
