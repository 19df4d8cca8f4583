import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { generateSigningKey, importPrivateJwk } from '../crypto/jwks.js';
import { decryptPrivateKey, encryptPrivateKey } from '../crypto/key-encryption.js';
import type { SigningMaterial } from '../crypto/tokens.js';
import type { Db } from '../storage/db.js';
import { serialQueue } from './serial.js';
import {
  deleteSigningKeysRetiredBefore,
  insertSigningKey,
  listSigningKeys,
  retireSigningKeys,
  updateSigningKeyPrivate,
  withSigningKeyLock,
  type SigningKeyRecord,
} from '../storage/signing-keys.js';

/** Clock skew allowed to verifiers, seconds: a retired key stays published this much longer. */
const VERIFIER_SKEW_SECONDS = 60;

type LoadedKey = SigningKeyRecord & { material: SigningMaterial };

export type JwksDocument = { body: string; etag: string };

export type Keyring = {
  /**
   * Loads keys from Postgres, creating the first one if the table is empty, or a pre-published
   * successor if the newest key's `alg` is not SIGNING_ALG.
   */
  init(): Promise<void>;
  refresh(): Promise<void>;
  activeKey(nowMs: number): SigningMaterial;
  jwks(): JwksDocument;
  /**
   * Creates the next key: published now, signing after the pre-publication delay (or at once).
   * `withdrawPrevious` (after a compromise) also unpublishes every older key at once, so nothing
   * they signed verifies any more; implies `immediate`.
   */
  rotate(options?: { immediate?: boolean; withdrawPrevious?: boolean }): Promise<SigningKeyRecord>;
  /** Rotates if the active key is older than SIGNING_KEY_ROTATION_DAYS; returns the new key if it did. */
  rotateIfDue(): Promise<SigningKeyRecord | undefined>;
  /** Deletes keys whose every token has expired. */
  prune(): Promise<number>;
};

export type KeyringDeps = {
  config: Config;
  db: Db;
  clock: Clock;
  /** The longest token lifetime in circulation, seconds. */ longestTtlSeconds?: () => number;
};

export function createKeyring({ config, db, clock, longestTtlSeconds = () => config.tokenTtlSeconds }: KeyringDeps): Keyring {
  let keys: LoadedKey[] = [];
  let document: JwksDocument = { body: '{"keys":[]}', etag: '"empty"' };
  // A retired key stays published while any token it signed may still be valid: the longest token
  // lifetime in circulation (it can exceed this instance's own after TOKEN_TTL_SECONDS was lowered).
  const retentionMs = () => (longestTtlSeconds() + VERIFIER_SKEW_SECONDS) * 1000;
  // A new key must sit in every JWKS cache, and every instance must have loaded it, before it signs.
  // Instances reload the table every SIGNING_KEY_REFRESH_SECONDS (and at once on a pub/sub notice).
  const prepublishMs = (config.jwksMaxAgeSeconds + config.signingKeyRefreshSeconds) * 1000;

  const isPublished = (k: SigningKeyRecord, nowMs: number) => k.retiredAt === null || k.retiredAt.getTime() + retentionMs() > nowMs;

  // Loads run one at a time, each reading the table after the previous one has been applied: two
  // that overlap (startup and a resync, a rotation and the periodic refresh) could otherwise apply
  // an older read last, and leave the instance without the key that signs.
  const serially = serialQueue();

  async function load(records: SigningKeyRecord[]): Promise<void> {
    const now = clock.now();
    const previous = new Map(keys.map((k) => [k.kid, k]));
    const loaded: LoadedKey[] = [];
    for (const r of records.filter((k) => isPublished(k, now))) {
      const known = previous.get(r.kid);
      if (known) {
        loaded.push({ ...r, material: known.material });
        continue;
      }
      const jwk = JSON.parse(openPrivateKey(config.keyEncryptionKey, r)) as JWK;
      loaded.push({ ...r, material: { kid: r.kid, alg: r.alg, privateKey: await importPrivateJwk(jwk, r.alg) } });
    }
    keys = loaded.sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
    const body = JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
    document = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
  }

  async function createKey(trx: Parameters<Parameters<typeof withSigningKeyLock>[1]>[0], requestedActivation: Date) {
    // Strictly after every existing key, so "the newest activated key signs" never has a tie.
    const latest = (await listSigningKeys(trx)).at(-1)?.activatesAt.getTime() ?? -Infinity;
    const activatesAt = new Date(Math.max(requestedActivation.getTime(), latest + 1));
    const generated = await generateSigningKey(config.signingAlg);
    const record: SigningKeyRecord = {
      kid: generated.kid,
      alg: generated.alg,
      publicJwk: generated.publicJwk,
      privateJwkEnc: encryptPrivateKey(config.keyEncryptionKey, JSON.stringify(generated.privateJwk), generated.kid),
      createdAt: new Date(clock.now()),
      activatesAt,
      retiredAt: null,
    };
    await insertSigningKey(trx, record);
    await retireSigningKeys(trx, activatesAt, record.kid);
    return record;
  }

  const keyring: Keyring = {
    init() {
      return serially(async () => {
        // Under the lock, so two instances starting together on an empty table create one key, not two.
        const records = await withSigningKeyLock(db, async (trx) => {
          const existing = await listSigningKeys(trx);
          const newest = existing.filter((k) => k.retiredAt === null).at(-1);
          if (newest?.alg === config.signingAlg) return existing;
          // A changed SIGNING_ALG goes through a normal rotation: the successor is published first and
          // signs only once every cache has it, while the current key keeps signing until then.
          await createKey(trx, new Date(clock.now() + (newest ? prepublishMs : 0)));
          return listSigningKeys(trx);
        });
        await load(records);
      });
    },

    refresh() {
      return serially(async () => load(await listSigningKeys(db)));
    },

    activeKey(nowMs) {
      let active: LoadedKey | undefined;
      for (const k of keys) if (k.activatesAt.getTime() <= nowMs) active = k;
      if (!active) throw new AppError('unavailable', 'no signing key is available', { reason: 'no_active_signing_key' });
      return active.material;
    },

    jwks: () => document,

    async rotate(options = {}) {
      const immediate = options.immediate || options.withdrawPrevious;
      const activatesAt = new Date(clock.now() + (immediate ? 0 : prepublishMs));
      const record = await withSigningKeyLock(db, async (trx) => {
        const created = await createKey(trx, activatesAt);
        // Retired long enough ago that no token of theirs is still valid: they leave the JWKS now.
        if (options.withdrawPrevious)
          await retireSigningKeys(trx, new Date(clock.now() - retentionMs() - 1000), created.kid, { all: true });
        return created;
      });
      await keyring.refresh();
      return record;
    },

    async rotateIfDue() {
      if (config.signingKeyRotationDays <= 0) return undefined;
      const maxAgeMs = config.signingKeyRotationDays * 86_400_000;
      return withSigningKeyLock(db, async (trx) => {
        const current = (await listSigningKeys(trx)).filter((k) => k.retiredAt === null);
        const newest = current.at(-1);
        // A successor already waiting for activation counts: its activation is the rotation.
        if (newest && clock.now() - newest.activatesAt.getTime() < maxAgeMs) return undefined;
        return createKey(trx, new Date(clock.now() + prepublishMs));
      }).then(async (record) => {
        if (record) await keyring.refresh();
        return record;
      });
    },

    async prune() {
      return deleteSigningKeysRetiredBefore(db, new Date(clock.now() - retentionMs()));
    },
  };
  return keyring;
}

/**
 * After KEY_ENCRYPTION_KEY changed: every private key sealed under `previousKek` is sealed again under
 * the configured key, in one transaction (keys already under the configured key are left as they are).
 * Answers how many were re-sealed; throws if a key opens under neither.
 */
export async function reencryptSigningKeys(deps: { config: Config; db: Db }, previousKek: Buffer): Promise<number> {
  const current = deps.config.keyEncryptionKey;
  return withSigningKeyLock(deps.db, async (trx) => {
    let resealed = 0;
    for (const k of await listSigningKeys(trx)) {
      if (opens(current, k)) continue;
      if (!opens(previousKek, k))
        throw new TypeError(`signing key ${k.kid} opens under neither the previous nor the configured KEY_ENCRYPTION_KEY`);
      await updateSigningKeyPrivate(trx, k.kid, encryptPrivateKey(current, decryptPrivateKey(previousKek, k.privateJwkEnc, k.kid), k.kid));
      resealed++;
    }
    return resealed;
  });
}

function opens(kek: Buffer, k: SigningKeyRecord): boolean {
  try {
    decryptPrivateKey(kek, k.privateJwkEnc, k.kid);
    return true;
  } catch {
    return false;
  }
}

/** KEY_ENCRYPTION_KEY is not the key the stored signing keys were sealed with. */
export class KeyEncryptionKeyMismatchError extends Error {
  constructor(readonly kid: string) {
    super(
      `KEY_ENCRYPTION_KEY does not open the stored signing key ${kid}: it was sealed under another key. ` +
        'Set the KEY_ENCRYPTION_KEY it was created with, or move the keys to the new one with: scope-auth signing-keys reencrypt --previous-key-file FILE',
    );
    this.name = 'KeyEncryptionKeyMismatchError';
  }
}

function openPrivateKey(kek: Buffer, r: Pick<SigningKeyRecord, 'kid' | 'privateJwkEnc'>): string {
  try {
    return decryptPrivateKey(kek, r.privateJwkEnc, r.kid);
  } catch {
    throw new KeyEncryptionKeyMismatchError(r.kid);
  }
}
