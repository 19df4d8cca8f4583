import type { Knex } from 'knex';
import type { PublicJwk } from '../crypto/jwks.js';
import type { Db } from './db.js';

export type SigningKeyRecord = {
  kid: string;
  alg: string;
  publicJwk: PublicJwk;
  privateJwkEnc: string;
  createdAt: Date;
  activatesAt: Date;
  retiredAt: Date | null;
};

type Row = {
  kid: string;
  alg: string;
  public_jwk: PublicJwk;
  private_jwk_enc: string;
  created_at: Date;
  activates_at: Date;
  retired_at: Date | null;
};

const toRecord = (r: Row): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg,
  publicJwk: r.public_jwk,
  privateJwkEnc: r.private_jwk_enc,
  createdAt: r.created_at,
  activatesAt: r.activates_at,
  retiredAt: r.retired_at,
});

export async function listSigningKeys(db: Db | Knex.Transaction): Promise<SigningKeyRecord[]> {
  const rows = await db<Row>('signing_keys').orderBy('activates_at', 'asc');
  return rows.map(toRecord);
}

export async function insertSigningKey(trx: Db | Knex.Transaction, k: SigningKeyRecord): Promise<void> {
  await trx('signing_keys').insert({
    kid: k.kid,
    alg: k.alg,
    public_jwk: JSON.stringify(k.publicJwk),
    private_jwk_enc: k.privateJwkEnc,
    created_at: k.createdAt,
    activates_at: k.activatesAt,
    retired_at: k.retiredAt,
  });
}

/** Marks every other key still signing as retiring at `at` (or, with `all`, every other key). */
export async function retireSigningKeys(
  trx: Knex.Transaction,
  at: Date,
  exceptKid: string,
  options: { all?: boolean } = {},
): Promise<void> {
  const q = trx('signing_keys').whereNot('kid', exceptKid);
  if (!options.all) q.whereNull('retired_at');
  await q.update({ retired_at: at });
}

export async function deleteSigningKeysRetiredBefore(db: Db, cutoff: Date): Promise<number> {
  return db('signing_keys').whereNotNull('retired_at').andWhere('retired_at', '<', cutoff).del();
}

/** Runs `fn` in a transaction holding a Postgres advisory lock, so only one instance does it at a time. */
export async function withSigningKeyLock<T>(db: Db, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', ['scope-auth:signing-keys']);
    return fn(trx);
  });
}

export async function updateSigningKeyPrivate(trx: Knex.Transaction, kid: string, privateJwkEnc: string): Promise<void> {
  await trx('signing_keys').where({ kid }).update({ private_jwk_enc: privateJwkEnc });
}
