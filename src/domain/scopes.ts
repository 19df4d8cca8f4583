import { AppError } from '../errors.js';

export const MANAGEMENT_SCOPES = ['keys:read', 'keys:write', 'audit:read', 'members:read', 'members:write', 'resources:write'] as const;
export type ManagementScope = (typeof MANAGEMENT_SCOPES)[number];

// RFC 6749 §3.3 allows more; this narrower set is safe in logs, URLs and headers.
export const SCOPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._/-]{0,99}$/;
export const MAX_SCOPES = 50;
// Audiences are usually URLs: printable ASCII without spaces.
export const AUDIENCE_PATTERN = /^[\x21-\x7e]{1,256}$/;
export const MAX_AUDIENCES = 10;
// Every token must fit MAX_TOKEN_LENGTH (8,192 characters, token-verification.ts), so what a key
// puts into one is bounded: its scopes joined by spaces, and its audiences together as they are
// written in the token's JSON (a quote or backslash takes two characters there).
export const MAX_SCOPE_CHARS = 2_000;
export const MAX_AUDIENCE_CHARS = 2_000;

export const scopeChars = (scopes: readonly string[]) => scopes.join(' ').length;
export const audienceChars = (audiences: readonly string[]) => audiences.reduce((n, a) => n + JSON.stringify(a).length - 2, 0);

/** RFC 6749 §3.3: space-delimited; blank means "not given". Duplicates collapse. */
export function parseScopeParam(scope: string | undefined): string[] | undefined {
  if (scope === undefined) return undefined;
  const parts = scope.split(' ').filter(Boolean);
  return parts.length === 0 ? undefined : [...new Set(parts)];
}

export type Grant = { scopes: string[]; audience: string | string[] };

/**
 * What a token may carry: a subset of the key's scopes and one of its audiences (or all of them
 * when none is asked for). Never more than the key holds.
 */
export function narrowGrant(
  key: { scopes: string[]; audiences: string[] },
  requested: { scopes?: string[]; audience?: string },
  defaultAudience: string,
): Grant {
  let scopes = key.scopes;
  if (requested.scopes) {
    const missing = requested.scopes.find((s) => !key.scopes.includes(s));
    if (missing !== undefined) throw new AppError('invalid_scope', `scope "${printable(missing)}" is not granted to this key`);
    scopes = requested.scopes;
  }
  const allowed = key.audiences.length > 0 ? key.audiences : [defaultAudience];
  let audience: string | string[] = allowed.length === 1 && allowed[0] !== undefined ? allowed[0] : allowed;
  if (requested.audience !== undefined) {
    if (!allowed.includes(requested.audience)) {
      throw new AppError('invalid_target', `audience "${printable(requested.audience)}" is not allowed for this key`);
    }
    audience = requested.audience;
  }
  return { scopes, audience };
}

/** Echo caller input in a description only in a bounded, printable form. */
function printable(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}...` : clean;
}

export function hasScopes(granted: readonly string[], required: readonly string[]): boolean {
  return required.every((s) => granted.includes(s));
}
