import type { Claims } from './claims.js';
import { ScopeAuthError } from './errors.js';
import type { Verifier } from './verifier.js';

/** What a framework adapter needs to answer a request: the claims, or a status, headers and body. */
export type AuthOutcome =
  | { ok: true; claims: Claims }
  | { ok: false; status: number; headers: Record<string, string>; body: { error: string; error_description: string } };

export type ChallengeOptions = {
  /** `realm` of the `WWW-Authenticate` challenge. Default `scope-auth`. */
  realm?: string;
  /**
   * RFC 9728 §5.1: the URL of this resource's protected-resource metadata, named in every 401 and
   * 403 challenge so that clients (MCP clients among them) find the authorization server.
   */
  resourceMetadataUrl?: string;
};

/** A quoted-string may not hold `"` or `\` unescaped, nor control or non-ASCII characters. */
export function quote(s: string): string {
  return s.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
}

/** Reads the Authorization header and verifies its token, per RFC 6750; framework-neutral. */
export function createBearerAuth(verifier: Verifier, scopes: readonly string[], options: ChallengeOptions) {
  // Checked at run time too: JavaScript callers get no compiler to catch a missing verifier.
  if (typeof (verifier as Partial<Verifier> | undefined)?.verify !== 'function') throw new TypeError('requireAuth needs a verifier');
  const base = `Bearer realm="${quote(options.realm ?? 'scope-auth')}"${options.resourceMetadataUrl ? `, resource_metadata="${quote(options.resourceMetadataUrl)}"` : ''}`;
  const verifyOptions = { scopes };
  const fail = (status: number, error: string, description: string, challenge?: string): AuthOutcome => ({
    ok: false,
    status,
    headers: challenge === undefined ? {} : { 'WWW-Authenticate': challenge },
    body: { error, error_description: description },
  });
  const withError = (code: string, description: string, extra = '') =>
    `${base}, error="${code}", error_description="${quote(description)}"${extra}`;

  return async function authenticate(header: string | undefined): Promise<AuthOutcome> {
    // RFC 6750 §3.1: no credentials, or another scheme's, get a challenge without an error code.
    if (!header || !/^bearer(?: |$)/i.test(header)) return fail(401, 'invalid_token', 'an access token is required', base);
    const token = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header)?.[1];
    const malformed = 'Authorization header must be "Bearer <token>"';
    if (!token) return fail(400, 'invalid_request', malformed, withError('invalid_request', malformed));
    try {
      return { ok: true, claims: await verifier.verify(token, verifyOptions) };
    } catch (err) {
      if (!(err instanceof ScopeAuthError)) throw err;
      if (err.code === 'insufficient_scope') {
        const scope = err.scope ? `, scope="${quote(err.scope)}"` : '';
        return fail(403, 'insufficient_scope', err.description, withError('insufficient_scope', err.description, scope));
      }
      if (err.code === 'unavailable')
        return {
          ok: false,
          status: 503,
          headers: { 'Retry-After': '5' },
          body: { error: 'unavailable', error_description: err.description },
        };
      // token_expired and token_revoked are RFC 6750 invalid_token on the wire; the description says which.
      return fail(401, 'invalid_token', err.description, withError('invalid_token', err.description));
    }
  };
}
