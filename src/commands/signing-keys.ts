import { readFileSync } from 'node:fs';
import { decodeEncryptionKey } from '../config/secrets.js';
import { reencryptSigningKeys } from '../domain/signing-keys.js';
import { createDb } from '../storage/db.js';
import { openDatabase } from '../storage/database.js';
import { listSigningKeys } from '../storage/signing-keys.js';
import { bySubcommand, output, UsageError, withInstance, type Command, type CommandContext } from './support.js';

async function rotate({ config, values }: CommandContext): Promise<void> {
  const record = await withInstance(
    config,
    async (deps) => {
      const created = await deps.keyring.rotate({ immediate: values.now, withdrawPrevious: values['withdraw-previous'] });
      // Tell running instances now rather than at their next periodic refresh.
      await deps.bus.publish({ type: 'signing-keys.changed' }).catch(() => undefined);
      return created;
    },
    { live: true },
  );
  output(
    values,
    { kid: record.kid, alg: record.alg, activates_at: record.activatesAt.toISOString() },
    `signing key ${record.kid} (${record.alg}) published; it signs from ${record.activatesAt.toISOString()}`,
  );
}

async function list({ config, values }: CommandContext): Promise<void> {
  const rows = (await withInstance(config, (deps) => listSigningKeys(deps.db))).map((k) => ({
    kid: k.kid,
    alg: k.alg,
    created_at: k.createdAt.toISOString(),
    activates_at: k.activatesAt.toISOString(),
    retired_at: k.retiredAt?.toISOString() ?? null,
  }));
  output(values, { keys: rows }, rows.map((r) => `${r.kid}  ${r.alg}  signs ${r.activates_at} .. ${r.retired_at ?? 'now'}`).join('\n'));
}

async function reencrypt({ config, values }: CommandContext): Promise<void> {
  const file = values['previous-key-file'];
  if (!file) throw new UsageError('--previous-key-file is required: a file holding the previous KEY_ENCRYPTION_KEY');
  let previous: Buffer | undefined;
  try {
    previous = decodeEncryptionKey(readFileSync(file, 'utf8').trim());
  } catch {
    throw new UsageError(`--previous-key-file: cannot read ${file}`);
  }
  if (!previous) throw new UsageError('--previous-key-file must hold 32 bytes, base64 or 64 hex characters');
  const key = previous;
  // Without starting an instance: the keyring could not open the keys before they are re-sealed.
  const database = await openDatabase(config, { shareWithServer: true });
  const db = createDb(database.url, 1);
  try {
    const resealed = await reencryptSigningKeys({ config, db }, key);
    output(values, { resealed }, `${resealed} signing key(s) re-encrypted under the configured KEY_ENCRYPTION_KEY`);
  } finally {
    await db.destroy();
    await database.close();
  }
}

export const signingKeys: Command = {
  name: 'signing-keys',
  usage: `signing-keys rotate [--now] [--withdraw-previous]
                                  publish the next signing key (it signs after the JWKS cache lifetime,
                                  or at once with --now); --withdraw-previous also unpublishes the older
                                  keys at once (after a compromise: their tokens stop verifying)
  signing-keys list               list signing keys (public data only)
  signing-keys reencrypt --previous-key-file FILE
                                  after changing KEY_ENCRYPTION_KEY: re-seal every private key sealed under
                                  the previous key (read from FILE) with the configured one`,
  run: bySubcommand('signing-keys', { rotate, list, reencrypt }),
};
