import { EXPIRES_SOON_DAYS } from '../domain/usage-report.js';
import { keyStatus } from '../domain/api-keys.js';
import type { ApiKey, AuditEvent } from '../domain/model.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const EXPIRES_SOON_MS = EXPIRES_SOON_DAYS * 86_400_000;
const expiresSoon = (k: ApiKey, nowMs: number) =>
  keyStatus(k, nowMs) === 'active' && k.expiresAt !== null && k.expiresAt.getTime() - nowMs < EXPIRES_SOON_MS;

/**
 * DESIGN.md names two owners: the person who made a key, or the key that made it. A key the CLI made
 * (an operator at the console of the host) has neither: `owner` is null, and `created_by` says "cli".
 */
function keyOwner(k: ApiKey, emails?: ReadonlyMap<string, string>): { type: 'user' | 'key'; id: string; email?: string | null } | null {
  if (k.ownerUserId !== null) return { type: 'user', id: k.ownerUserId, email: emails?.get(k.ownerUserId) ?? null };
  if (k.createdBy?.startsWith('key_')) return { type: 'key', id: k.createdBy };
  return null;
}

/** The wire view of a key: never the secret or its hash, only the hint. `emails`: owners' addresses by user ID (ownerEmails in storage/people.ts), for `owner.email`. */
export function keyView(k: ApiKey, nowMs: number, emails?: ReadonlyMap<string, string>) {
  return {
    id: k.id,
    org_id: k.orgId,
    name: k.name,
    description: k.description,
    environment: k.environment,
    scopes: k.scopes,
    audiences: k.audiences,
    allowed_cidrs: k.allowedCidrs,
    status: keyStatus(k, nowMs),
    secret_hint: k.secretHint,
    created_at: iso(k.createdAt),
    created_by: k.createdBy,
    updated_at: iso(k.updatedAt),
    expires_at: iso(k.expiresAt),
    revoked_at: iso(k.revokedAt),
    revoked_by: k.revokedBy,
    revoke_reason: k.revokeReason,
    last_used_at: iso(k.lastUsedAt),
    replaced_by: k.replacedBy,
    expires_soon: expiresSoon(k, nowMs),
    log_exchanges: k.logExchanges,
    owner: keyOwner(k, emails),
  };
}

export function auditView(e: AuditEvent) {
  return {
    id: e.id,
    org_id: e.orgId,
    action: e.action,
    actor: { type: e.actorType, id: e.actorId },
    target: e.targetType ? { type: e.targetType, id: e.targetId } : null,
    ip: e.ip,
    user_agent: e.userAgent,
    request_id: e.requestId,
    detail: e.detail,
    created_at: e.createdAt.toISOString(),
  };
}

/** Opaque to callers so the encoding can change; today it wraps the last ID of the page. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, valid: (id: string) => boolean): string | undefined {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return valid(id) ? id : undefined;
}
