// The service's records, as the domain sees them. Storage maps them to rows (one column map each),
// the HTTP layer to their wire views; both import these types from here.

export type Environment = 'live' | 'test';
export type KeyStatus = 'active' | 'expired' | 'revoked';

export type ApiKey = {
  id: string;
  orgId: string;
  name: string;
  description: string;
  environment: Environment;
  scopes: string[];
  audiences: string[];
  allowedCidrs: string[];
  secretHash: Buffer;
  secretHint: string;
  createdAt: Date;
  createdBy: string | null;
  updatedAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  revokeReason: string | null;
  lastUsedAt: Date | null;
  replacedBy: string | null;
  /** Every successful exchange is audited too (`exchange.succeeded`). */
  logExchanges: boolean;
  /** The person who owns the key; null for keys made by a key or the CLI. */
  ownerUserId: string | null;
};

export type Organisation = { id: string; name: string; createdAt: Date };

export type ActorType = 'key' | 'user' | 'cli' | 'system' | 'anonymous';

export type AuditEvent = {
  id: string;
  orgId: string | null;
  action: string;
  actorType: ActorType;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  detail: Record<string, unknown>;
  createdAt: Date;
};

export type { RevocationEntry } from './revocation/entry.js';

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

export type User = {
  id: string;
  email: string;
  name: string;
  /** Argon2id PHC string; null for a person who signs in only through single sign-on. */
  passwordHash: string | null;
  passwordChangedAt: Date | null;
  createdAt: Date;
};

export type Membership = { userId: string; orgId: string; role: Role; createdAt: Date };

export type Session = {
  idHash: Buffer;
  userId: string;
  orgId: string;
  csrfHash: Buffer;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
};

export type ResourceScope = { name: string; description: string };

/** One of an organisation's APIs: its audience and the scopes it declares. */
export type Resource = {
  id: string;
  orgId: string;
  name: string;
  audience: string;
  scopes: ResourceScope[];
  createdAt: Date;
  updatedAt: Date;
};
