import { z } from 'zod';
import { MAX_GRACE_PERIOD_SECONDS } from '../domain/key-management.js';
import { ID_PATTERN } from '../ids.js';
import {
  audienceList,
  cidrList,
  environment,
  expiresInSeconds,
  keyDescription,
  keyName,
  revokeReason,
  safeText,
  scopeList,
} from '../schemas.js';

// The /v1/keys wire shapes: request bodies and queries, and the key as the API shows it (also in /openapi.json).

const isoDate = z.iso.datetime({ offset: true });

export const createKeyBody = z
  .strictObject({
    name: keyName,
    description: keyDescription.optional(),
    environment: environment.default('live'),
    scopes: scopeList.default([]),
    audiences: audienceList.default([]).describe('empty = the default audience'),
    allowed_cidrs: cidrList.default([]).describe('IPv4/IPv6 CIDRs the key may be used from; empty = anywhere'),
    expires_at: isoDate.optional(),
    expires_in: expiresInSeconds.optional().describe('seconds from now; alternative to expires_at'),
    log_exchanges: z.boolean().default(false).describe('audit every successful exchange too (exchange.succeeded)'),
  })
  .refine((b) => b.expires_at === undefined || b.expires_in === undefined, { message: 'send expires_at or expires_in, not both' })
  .meta({ id: 'CreateApiKeyRequest' });

export const patchKeyBody = z
  .strictObject({
    name: keyName.optional(),
    description: keyDescription.optional(),
    scopes: scopeList.optional(),
    audiences: audienceList.optional(),
    allowed_cidrs: cidrList.optional(),
    expires_at: isoDate.nullable().optional().describe('null removes the expiry'),
    log_exchanges: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' })
  .meta({ id: 'UpdateApiKeyRequest' });

export const revokeKeyBody = z.strictObject({ reason: revokeReason.optional() }).meta({ id: 'RevokeApiKeyRequest' });
export const rotateKeyBody = z
  .strictObject({
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_PERIOD_SECONDS)
      .default(0)
      .describe('seconds the old key keeps working; 0 = it expires now'),
  })
  .meta({ id: 'RotateApiKeyRequest' });
export const listKeysQuery = z.strictObject({
  status: z.enum(['active', 'expired', 'revoked']).optional(),
  environment: environment.optional(),
  unused_for_days: z.coerce.number().int().min(1).max(3_650).optional().describe('only keys never used, or not used for this many days'),
  owner: z.string().regex(ID_PATTERN.user, 'must be a user ID (usr_...)').optional().describe('only the keys of this person (usr_...)'),
  q: safeText(100, { min: 1 }).optional().describe('only keys whose name contains this text, in any case'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const keySchema = z
  .object({
    id: z.string(),
    org_id: z.string(),
    name: z.string(),
    description: z.string(),
    environment: environment,
    scopes: z.array(z.string()),
    audiences: z.array(z.string()),
    allowed_cidrs: z.array(z.string()),
    status: z.enum(['active', 'expired', 'revoked']),
    secret_hint: z.string(),
    created_at: z.string(),
    created_by: z.string().nullable(),
    updated_at: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    revoked_by: z.string().nullable(),
    revoke_reason: z.string().nullable(),
    last_used_at: z.string().nullable(),
    replaced_by: z.string().nullable(),
    expires_soon: z.boolean().describe('active and expiring within 7 days'),
    log_exchanges: z.boolean(),
    owner: z
      .object({
        type: z.enum(['user', 'key']),
        id: z.string(),
        email: z.string().nullable().optional().describe('for type "user"'),
      })
      .nullable()
      .describe('who the key belongs to: the person who made it, or the key that did; null for keys made by the CLI'),
  })
  .meta({ id: 'ApiKey', description: 'an API key; never its secret' });
export const keyWithSecret = keySchema
  .extend({ secret: z.string().describe('shown this once') })
  .meta({ id: 'ApiKeyWithSecret', description: 'a new API key with its secret, shown this once' });
export const keyPage = z.object({ data: z.array(keySchema), next_cursor: z.string().nullable() }).meta({ id: 'ApiKeyPage' });
