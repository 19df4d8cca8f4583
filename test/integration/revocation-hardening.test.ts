import pg from 'pg';
import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { insertTokenRevocation, findMatchingRevocation } from '../../src/storage/revocations.js';
import { createTestInstance, newPrefix, waitFor, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';
import { auth, createAdmin, createKey, exchange } from '../support/fixtures.js';

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number; jti: string; sub: string };

describe('a key revocation refuses every token of the key', () => {
  const prefix = newPrefix();
  let a: TestInstance;
  let skewed: TestInstance;
  beforeAll(async () => {
    a = await createTestInstance({ prefix });
    // An instance whose clock runs 30 s ahead mints tokens "issued after" a revoke made now,
    // like an instance that had not yet heard of the revoke.
    skewed = await createTestInstance({ prefix, clock: fakeClock(Date.now() + 30_000) });
  });
  afterAll(async () => {
    await a.close();
    await skewed.close();
  });

  it('refuses a token whose iat is after the revocation, in memory, in Postgres and in the feed', async () => {
    const { org, token: admin } = await createAdmin(a.deps, a.app);
    const { key, secret } = await createKey(a.deps, org);
    const late = await exchange(skewed.app, { org_id: key.orgId, key_id: key.id, secret });
    await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(admin)).expect(200);
    const { iat, jti, exp } = claimsOf(late);

    const feed = await request(a.app).get('/v1/revocations').expect(200);
    const entry = (feed.body.revocations as Array<{ key_id: string; revoked_at: number; expires_at: number }>).find(
      (e) => e.key_id === key.id,
    )!;
    expect(iat).toBeGreaterThan(entry.revoked_at);
    // The entry outlives every token the key could still hold, this one included.
    expect(entry.expires_at).toBeGreaterThan(exp);

    await request(a.app).post('/oauth/introspect').set(auth(admin)).type('form').send({ token: late }).expect(200, { active: false });
    expect(a.deps.revocations.match({ sub: key.id, jti })).toBeDefined();
    // The answer an instance gives while it cannot trust memory.
    expect(await findMatchingRevocation(a.deps.db, { keyId: key.id, jti })).toMatchObject({ kind: 'key', keyId: key.id });
  });
});

describe('revocation entry lifetime', () => {
  it('outlives tokens minted under a longer TOKEN_TTL_SECONDS before a restart with a shorter one', async () => {
    const databaseUrl = await isolatedDatabase('lifetimes');
    const prefix = newPrefix();
    const long = await createTestInstance({ databaseUrl, prefix, env: { TOKEN_TTL_SECONDS: '3600' } });
    const { org, token: admin } = await createAdmin(long.deps, long.app);
    const { key, secret } = await createKey(long.deps, org);
    const minted = await exchange(long.app, { org_id: key.orgId, key_id: key.id, secret });
    await long.close();

    const short = await createTestInstance({ databaseUrl, prefix, env: { TOKEN_TTL_SECONDS: '60' } });
    try {
      await request(short.app).post(`/v1/keys/${key.id}/revoke`).set(auth(admin)).expect(200);
      const row = await short.deps.db('revocations').where({ kind: 'key', key_id: key.id }).first();
      expect(Math.floor(new Date(row.expires_at as Date).getTime() / 1000)).toBeGreaterThan(claimsOf(minted).exp);
      expect(short.deps.lifetimes.longestSeconds()).toBe(3600);
    } finally {
      await short.close();
    }
  });
});

describe('revocation sequence numbers', () => {
  let a: TestInstance;
  beforeAll(async () => {
    a = await createTestInstance();
  });
  afterAll(async () => {
    await a.close();
  });

  it('commit in sequence order, so resuming after a seq never skips an entry that committed late', async () => {
    const { org, token: admin } = await createAdmin(a.deps, a.app);
    const { key } = await createKey(a.deps, org);
    const { key: other } = await createKey(a.deps, org);
    const client = new pg.Client({ connectionString: a.config.databaseUrl });
    await client.connect();
    let revoke: Promise<unknown> | undefined;
    try {
      // An entry whose transaction is still open holds the next seq...
      await a.deps.db.transaction(async (trx) => {
        const pending = await insertTokenRevocation(trx, {
          orgId: org.id,
          keyId: other.id,
          jti: `01JTESTSEQ${Date.now()}`,
          revokedAt: 1,
          expiresAt: 2_000_000_000,
        });
        revoke = request(a.app)
          .post(`/v1/keys/${key.id}/revoke`)
          .set(auth(admin))
          .expect(200)
          .then((r) => r);
        // ...so a revoke that starts meanwhile waits for it rather than committing a later seq first.
        await waitFor(
          async () =>
            (await client.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%revocations%'"))
              .rowCount! > 0,
          5_000,
          'the revoke to wait for the open entry',
        );
        const committed = await client.query('SELECT max(seq)::int AS seq FROM revocations');
        expect(committed.rows[0].seq).toBeLessThan(pending.seq);
      });
      await revoke;
      const rows = await client.query("SELECT seq FROM revocations WHERE key_id = $1 AND kind = 'key'", [key.id]);
      expect(rows.rowCount).toBe(1);
    } finally {
      await revoke?.catch(() => undefined);
      await client.end();
    }
  });
});
