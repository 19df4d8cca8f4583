import { z } from 'zod';
import { AUDIENCE_PATTERN, MAX_AUDIENCES, MAX_SCOPES, SCOPE_PATTERN } from './domain/scopes.js';
import { parseCidr } from './domain/cidr.js';

/** Field shapes shared by every edge that creates or edits keys (HTTP API and CLI). */
export const scopeList = z
  .array(z.string().regex(SCOPE_PATTERN, 'scopes are 1-100 characters of letters, digits and : . _ / -'))
  .max(MAX_SCOPES, `at most ${MAX_SCOPES} scopes`)
  .transform((s) => [...new Set(s)]);

export const audienceList = z
  .array(z.string().regex(AUDIENCE_PATTERN, 'audiences are 1-256 printable characters without spaces'))
  .max(MAX_AUDIENCES, `at most ${MAX_AUDIENCES} audiences`)
  .transform((a) => [...new Set(a)]);

export const cidrList = z
  .array(z.string().max(64).refine((c) => parseCidr(c) !== undefined, 'must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8'))
  .max(100, 'at most 100 CIDRs')
  .transform((a) => [...new Set(a)]);

export const keyName = z.string().trim().min(1).max(100);
export const keyDescription = z.string().max(1_000);
export const environment = z.enum(['live', 'test']);
/** Up to ten years. */
export const expiresInSeconds = z.number().int().min(60).max(10 * 365 * 86_400);
