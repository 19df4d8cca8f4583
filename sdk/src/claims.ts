import type { JWTPayload } from 'jose';
import { ScopeAuthError } from './errors.js';

/** The verified claims of a scope-auth access token (RFC 9068 profile). */
export type Claims = JWTPayload & {
  iss: string;
  /** The API key ID the token was issued to. */
  sub: string;
  client_id: string;
  org_id: string;
  aud: string | string[];
  /** Space-separated granted scopes. */
  scope: string;
  /** `live` or `test`, from the key's environment. */
  env?: string;
  iat: number;
  exp: number;
  jti: string;
};

const STRING_CLAIMS = ['iss', 'sub', 'client_id', 'org_id', 'jti', 'scope'] as const;
const NUMBER_CLAIMS = ['iat', 'exp'] as const;
const bad = (name: string) => new ScopeAuthError('invalid_token', `token has no valid "${name}" claim`, { status: 401 });

/** Checks the claims jose does not: their presence and types. Runs on every verify: no allocation. */
export function readClaims(payload: JWTPayload): Claims {
  const p = payload as Record<string, unknown>;
  for (const name of STRING_CLAIMS) if (typeof p[name] !== 'string') throw bad(name);
  for (const name of NUMBER_CLAIMS) if (typeof p[name] !== 'number') throw bad(name);
  return payload as Claims;
}

/** The scopes of `required` that `granted` (space-separated, RFC 6749 §3.3) lacks. */
export function missingScopes(granted: string, required: readonly string[]): string[] {
  if (required.length === 0) return [];
  const have = new Set(granted.split(' '));
  return required.filter((s) => !have.has(s));
}
