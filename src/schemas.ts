import { z } from 'zod';
import {
  AUDIENCE_PATTERN,
  MAX_AUDIENCE_CHARS,
  MAX_AUDIENCES,
  MAX_SCOPE_CHARS,
  MAX_SCOPES,
  SCOPE_PATTERN,
  audienceChars,
  scopeChars,
} from './domain/scopes.js';
import { parseCidr } from './domain/cidr.js';

/** Field shapes shared by every edge that creates or edits keys (HTTP API and CLI). */
export const scopeList = z
  .array(z.string().regex(SCOPE_PATTERN, 'scopes are 1-100 characters of letters, digits and : . _ / -'))
  .max(MAX_SCOPES, `at most ${MAX_SCOPES} scopes`)
  .transform((s) => [...new Set(s)])
  .refine((s) => scopeChars(s) <= MAX_SCOPE_CHARS, `at most ${MAX_SCOPE_CHARS} characters in all (joined with spaces)`);

export const audienceList = z
  .array(z.string().regex(AUDIENCE_PATTERN, 'audiences are 1-256 printable characters without spaces'))
  .max(MAX_AUDIENCES, `at most ${MAX_AUDIENCES} audiences`)
  .transform((a) => [...new Set(a)])
  .refine((a) => audienceChars(a) <= MAX_AUDIENCE_CHARS, `at most ${MAX_AUDIENCE_CHARS} characters in all`);

export const cidrList = z
  .array(
    z
      .string()
      .max(64)
      .refine((c) => parseCidr(c) !== undefined, 'must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8'),
  )
  .max(100, 'at most 100 CIDRs')
  .transform((a) => [...new Set(a)]);

// Postgres text cannot hold NUL, and JSON (jsonb audit details) refuses unpaired surrogates; with
// the `u` flag \p{Cs} matches only surrogates that are not part of a pair.
const UNSTORABLE = /[\0\p{Cs}]/u;

/**
 * Every free-text field of a request: up to `max` characters (trimmed first if asked), none that
 * Postgres cannot store, so such input is a clear 400 rather than a 500.
 */
export function safeText(max: number, o: { min?: number; trim?: boolean } = {}) {
  const base = o.trim ? z.string().trim() : z.string();
  return (o.min ? base.min(o.min) : base)
    .max(max)
    .refine((s) => !UNSTORABLE.test(s), 'must not contain NUL or unpaired surrogate characters');
}

export const keyName = safeText(100, { min: 1, trim: true });
export const keyDescription = safeText(1_000);
export const revokeReason = safeText(500);
export const environment = z.enum(['live', 'test']);
/** Up to ten years. */
export const expiresInSeconds = z
  .number()
  .int()
  .min(60)
  .max(10 * 365 * 86_400);
