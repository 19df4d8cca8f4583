import type { Clock } from '../clock.js';
import type { Db } from '../storage/db.js';
import { listSigningKeys } from '../storage/signing-keys.js';
import type { AuditLog } from './audit.js';
import type { Caller } from './key-management.js';
import type { InstanceBus } from './seams.js';
import type { Keyring } from './signing-keys.js';

type SigningKeyAdminDeps = { db: Db; clock: Clock; audit: AuditLog; keyring: Keyring; bus: Pick<InstanceBus, 'publish'> };

/** `pending`: published, signs from `activatesAt`; `active`: signs now; `retired`: verifies only, until its tokens expire. */
export type SigningKeyState = 'pending' | 'active' | 'retired';

/** The public side of a signing key, as `signing-keys list` shows it, with its state now. Never private material. */
export type SigningKeyInfo = {
  kid: string;
  alg: string;
  state: SigningKeyState;
  createdAt: Date;
  activatesAt: Date;
  retiredAt: Date | null;
};

export async function listSigningKeyInfo(deps: Pick<SigningKeyAdminDeps, 'db' | 'clock'>): Promise<SigningKeyInfo[]> {
  const now = deps.clock.now();
  return (await listSigningKeys(deps.db)).map((k) => ({
    kid: k.kid,
    alg: k.alg,
    state: k.retiredAt !== null && k.retiredAt.getTime() <= now ? 'retired' : k.activatesAt.getTime() > now ? 'pending' : 'active',
    createdAt: k.createdAt,
    activatesAt: k.activatesAt,
    retiredAt: k.retiredAt,
  }));
}

/**
 * An owner's rotation over HTTP: the ordinary one only (published now, signing once every JWKS cache
 * has it), because the keys sign every organisation's tokens. Signing at once, or withdrawing the old
 * keys after a compromise, stays with the operator (`signing-keys rotate --now | --withdraw-previous`).
 */
export async function rotateSigningKeyAs(deps: SigningKeyAdminDeps, caller: Caller): Promise<SigningKeyInfo> {
  const record = await deps.keyring.rotate();
  // Running instances load it now rather than at their next periodic refresh.
  await deps.bus.publish({ type: 'signing-keys.changed' }).catch(() => undefined);
  await deps.audit.write(deps.db, {
    orgId: caller.orgId,
    action: 'signing_key.rotated',
    actor: caller.actor,
    target: { type: 'signing_key', id: record.kid },
    context: caller.context,
    detail: { alg: record.alg, activates_at: record.activatesAt.toISOString() },
  });
  const info = (await listSigningKeyInfo(deps)).find((k) => k.kid === record.kid);
  if (!info) throw new TypeError(`signing key ${record.kid} vanished after rotation`);
  return info;
}
