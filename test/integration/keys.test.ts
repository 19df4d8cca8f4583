import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { auth, createAdmin, createKey, createOrg, exchange } from '../support/fixtures.js';
import { REVOCATION_SEQ_LOCK } from '../../src/storage/revocations.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst.close();
});

const KEY_VIEW_FIELDS = [
  'id',
  'org_id',
  'name',
  'description',
  'environment',
  'scopes',
  'audiences',
  'allowed_cidrs',
  'status',
  'secret_hint',
  'created_at',
  'created_by',
  'updated_at',
  'expires_at',
  'revoked_at',
  'revoked_by',
  'revoke_reason',
  'last_used_at',
  'replaced_by',
  'expires_soon',
  'log_exchanges',
  'owner',
].sort();

describe('POST /v1/keys', () => {
  it('creates a key and shows its secret exactly once', async () => {
    const { org, key: admin, token } = await createAdmin(inst.deps, inst.app);
    const res = await request(inst.app)
      .post('/v1/keys')
      .set(auth(token))
      .send({
        name: 'billing worker',
        description: 'nightly job',
        environment: 'test',
        scopes: ['billing:read', 'billing:read'],
        audiences: ['https://billing.example'],
        expires_in: 3600,
      })
      .expect(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^key_[0-9A-HJKMNP-TV-Z]{26}$/),
      org_id: org.id,
      name: 'billing worker',
      description: 'nightly job',
      environment: 'test',
      scopes: ['billing:read'],
      audiences: ['https://billing.example'],
      status: 'active',
      created_by: admin.id,
      secret: expect.stringMatching(/^sk_test_[0-9A-Za-z]{49}$/),
    });
    expect(res.body.secret_hint).toBe(`sk_test_...${res.body.secret.slice(-4)}`);
    expect(Date.parse(res.body.expires_at) - Date.now()).toBeGreaterThan(3_500_000);

    // The new key works, and no later read shows the secret again.
    const t = await exchange(inst.app, {
      org_id: res.body.org_id,
      key_id: res.body.id,
      secret: res.body.secret,
      audience: 'https://billing.example',
    });
    expect(t).toMatch(/^ey/);
    const one = await request(inst.app).get(`/v1/keys/${res.body.id}`).set(auth(token)).expect(200);
    expect(Object.keys(one.body).sort()).toEqual(KEY_VIEW_FIELDS);
    const list = await request(inst.app).get('/v1/keys').set(auth(token)).expect(200);
    expect(JSON.stringify([one.body, list.body])).not.toContain(res.body.secret);
    const row = await inst.deps.db('api_keys').where({ id: res.body.id }).first();
    expect(JSON.stringify(row)).not.toContain(res.body.secret);
  });

  it('refuses to grant a management scope the caller does not hold', async () => {
    const { token } = await createAdmin(inst.deps, inst.app, ['keys:read', 'keys:write']);
    const res = await request(inst.app)
      .post('/v1/keys')
      .set(auth(token))
      .send({ name: 'sneaky', scopes: ['audit:read'] });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'cannot grant scope "audit:read": the calling token does not hold it',
    });
    // What it does hold may be granted.
    await request(inst.app)
      .post('/v1/keys')
      .set(auth(token))
      .send({ name: 'ok', scopes: ['keys:read', 'orders:read'] })
      .expect(201);
  });

  it('judges by the scopes of the token, not of the key behind it', async () => {
    const { key, secret } = await createAdmin(inst.deps, inst.app);
    const narrowed = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret, scope: 'keys:write' });
    await request(inst.app)
      .post('/v1/keys')
      .set(auth(narrowed))
      .send({ name: 'x', scopes: ['keys:read'] })
      .expect(403);
  });

  it.each([
    ['a missing name', {}, '"name" is required'],
    ['a bad scope', { name: 'x', scopes: ['has space'] }, '"scopes.0": scopes are 1-100 characters of letters, digits and : . _ / -'],
    ['too many scopes', { name: 'x', scopes: Array.from({ length: 51 }, (_, i) => `s${i}`) }, '"scopes": at most 50 scopes'],
    ['a bad audience', { name: 'x', audiences: ['a b'] }, '"audiences.0": audiences are 1-256 printable characters without spaces'],
    ['a bad environment', { name: 'x', environment: 'prod' }, '"environment": expected one of "live"|"test"'],
    [
      'both expiries',
      { name: 'x', expires_in: 3600, expires_at: '2099-01-01T00:00:00Z' },
      '"body": send expires_at or expires_in, not both',
    ],
    ['an expiry in the past', { name: 'x', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at must be in the future'],
    ['a bad CIDR', { name: 'x', allowed_cidrs: ['10.0.0.0/33'] }, '"allowed_cidrs.0": must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8'],
    ['an unknown field', { name: 'x', scope: 'a' }, 'unknown field "scope"'],
    ['a name too long', { name: 'x'.repeat(101) }, '"name": too big: expected string to have <=100 characters'],
  ])('answers %s with 400 and a message naming the problem', async (_what, body, description) => {
    const { token } = await createAdmin(inst.deps, inst.app);
    await request(inst.app)
      .post('/v1/keys')
      .set(auth(token))
      .send(body)
      .expect(400, { error: 'invalid_request', error_description: description });
  });
});

describe('GET /v1/keys', () => {
  it('pages through every key exactly once while keys are being created', async () => {
    const { org, key: admin, token } = await createAdmin(inst.deps, inst.app);
    const initial = [admin.id];
    for (let i = 0; i < 24; i++) initial.push((await createKey(inst.deps, org)).key.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await request(inst.app)
        .get('/v1/keys')
        .query({ limit: 7, ...(cursor ? { cursor } : {}) })
        .set(auth(token))
        .expect(200);
      seen.push(...res.body.data.map((k: { id: string }) => k.id));
      cursor = res.body.next_cursor;
      pages++;
      // Keys created mid-listing must neither duplicate nor displace the ones already there.
      await createKey(inst.deps, org);
    } while (cursor);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...initial].sort());
    expect(seen).toEqual([...initial].sort().reverse()); // newest first
  });

  it('filters by status and environment, computing status for active, expired and revoked keys', async () => {
    // A key that expires while the test runs: time moves by the instance's clock, not by waiting.
    const clock = fakeClock();
    const timed = await createTestInstance({ clock });
    try {
      const { org, key: admin, token } = await createAdmin(timed.deps, timed.app);
      const active = await createKey(timed.deps, org, { environment: 'test' });
      const expired = await createKey(timed.deps, org, { expiresAt: new Date(clock.now() + 1500) });
      const revoked = await createKey(timed.deps, org);
      await request(timed.app).post(`/v1/keys/${revoked.key.id}/revoke`).set(auth(token)).expect(200);
      const ids = async (query: object) =>
        (await request(timed.app).get('/v1/keys').query(query).set(auth(token)).expect(200)).body.data.map(
          (k: { id: string; status: string }) => `${k.id}:${k.status}`,
        );
      expect(await ids({ status: 'expired' })).toEqual([]);
      clock.advance(1600);

      expect(await ids({ status: 'active' })).toEqual([`${active.key.id}:active`, `${admin.id}:active`]);
      expect(await ids({ status: 'expired' })).toEqual([`${expired.key.id}:expired`]);
      expect(await ids({ status: 'revoked' })).toEqual([`${revoked.key.id}:revoked`]);
      expect(await ids({ environment: 'test' })).toEqual([`${active.key.id}:active`]);
    } finally {
      await timed.close();
    }
  });

  it('searches names with q: any case, a substring, wildcards taken literally, with the other filters and paging', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    for (const name of ['Billing worker', 'BILLING cron', 'reports', '100%_billing', 'billing test'])
      await createKey(inst.deps, org, { name, environment: name.endsWith('test') ? 'test' : 'live' });
    const names = async (query: Record<string, string | number>) =>
      (await request(inst.app).get('/v1/keys').query(query).set(auth(token)).expect(200)).body.data.map((k: { name: string }) => k.name);
    expect(await names({ q: 'billing' })).toEqual(['billing test', '100%_billing', 'BILLING cron', 'Billing worker']);
    expect(await names({ q: 'ING C' })).toEqual(['BILLING cron']);
    expect(await names({ q: '%_' })).toEqual(['100%_billing']);
    expect(await names({ q: '_' })).toEqual(['100%_billing']);
    expect(await names({ q: 'billing', environment: 'test' })).toEqual(['billing test']);
    expect(await names({ q: 'nothing like it' })).toEqual([]);
    // Paging keeps the filter.
    const first = await request(inst.app).get('/v1/keys').query({ q: 'billing', limit: 3 }).set(auth(token)).expect(200);
    const second = await request(inst.app)
      .get('/v1/keys')
      .query({ q: 'billing', limit: 3, cursor: first.body.next_cursor as string })
      .set(auth(token))
      .expect(200);
    expect(second.body.data.map((k: { name: string }) => k.name)).toEqual(['Billing worker']);
    expect(second.body.next_cursor).toBeNull();
    const long = await request(inst.app)
      .get('/v1/keys')
      .query({ q: 'x'.repeat(101) })
      .set(auth(token))
      .expect(400);
    expect(long.body.error_description).toMatch(/^"q": /);
    await request(inst.app).get('/v1/keys?q=').set(auth(token)).expect(400);
    // The trigram index that keeps it fast on 100,000 keys is there, on the server and the embedded store alike.
    const index = await inst.deps.db.raw<{ rows: unknown[] }>("SELECT 1 FROM pg_indexes WHERE indexname = 'api_keys_name_trgm_idx'");
    expect(index.rows).toHaveLength(1);
  });

  it('rejects bad paging input with 400', async () => {
    const { token } = await createAdmin(inst.deps, inst.app);
    await request(inst.app).get('/v1/keys?limit=101').set(auth(token)).expect(400);
    await request(inst.app).get('/v1/keys?limit=0').set(auth(token)).expect(400);
    await request(inst.app).get('/v1/keys?cursor=garbage').set(auth(token)).expect(400, {
      error: 'invalid_request',
      error_description: '"cursor" is not a cursor returned by this API',
    });
    await request(inst.app).get('/v1/keys?status=deleted').set(auth(token)).expect(400);
  });
});

describe('PATCH /v1/keys/:id', () => {
  it('changes settings, and the next exchange sees them at once', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const { key, secret } = await createKey(inst.deps, org, { scopes: ['a', 'b'] });
    await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret, scope: 'b' });
    const res = await request(inst.app)
      .patch(`/v1/keys/${key.id}`)
      .set(auth(token))
      .send({ name: 'renamed', scopes: ['a'], expires_at: null })
      .expect(200);
    expect(res.body).toMatchObject({ name: 'renamed', scopes: ['a'], expires_at: null });
    await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret, scope: 'b' }).expect(400);
  });

  it('refuses an empty patch and changes to a revoked key', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const { key } = await createKey(inst.deps, org);
    await request(inst.app)
      .patch(`/v1/keys/${key.id}`)
      .set(auth(token))
      .send({})
      .expect(400, { error: 'invalid_request', error_description: '"body": nothing to change' });
    await request(inst.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
    await request(inst.app)
      .patch(`/v1/keys/${key.id}`)
      .set(auth(token))
      .send({ name: 'x' })
      .expect(409, { error: 'conflict', error_description: 'a revoked key cannot be changed' });
  });
});

describe('revoke and delete', () => {
  it('revokes once, keeps the record, and repeats idempotently', async () => {
    const { org, key: admin, token } = await createAdmin(inst.deps, inst.app);
    const { key, secret } = await createKey(inst.deps, org);
    await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    const first = await request(inst.app)
      .post(`/v1/keys/${key.id}/revoke`)
      .set(auth(token))
      .send({ reason: 'leaked in CI logs' })
      .expect(200);
    expect(first.body).toMatchObject({ id: key.id, status: 'revoked', revoked_by: admin.id, revoke_reason: 'leaked in CI logs' });
    const again = await request(inst.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).send({ reason: 'other' }).expect(200);
    expect(again.body).toEqual(first.body);
    await request(inst.app).delete(`/v1/keys/${key.id}`).set(auth(token)).expect(204);
    const after = await request(inst.app).get(`/v1/keys/${key.id}`).set(auth(token)).expect(200);
    expect(after.body.revoked_at).toBe(first.body.revoked_at);
    await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
  });

  it('writes key, revocation entry and audit record in one statement, once under concurrent revokes', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const { key } = await createKey(inst.deps, org);
    // Nothing left for the background flushes (audit every second, last_used_at on its timer) to
    // write while the statements are counted.
    await inst.deps.audit.flush();
    await inst.deps.lastUsed.flush();
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => statements.push(q.sql);
    inst.deps.db.on('query', onQuery);
    let answers;
    try {
      answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          request(inst.app)
            .post(`/v1/keys/${key.id}/revoke`)
            .set(auth(token))
            .send({ reason: `r${i}` }),
        ),
      );
    } finally {
      inst.deps.db.removeListener('query', onQuery);
    }
    for (const a of answers) expect(a.status).toBe(200);
    // Every caller sees the one revocation that won, with its reason and time.
    expect(new Set(answers.map((a) => `${a.body.revoked_at} ${a.body.revoke_reason}`)).size).toBe(1);
    const writes = statements.filter((sql) => /^\s*with l as \(\s*select pg_advisory_xact_lock[\s\S]*k as \(\s*update api_keys/i.test(sql));
    expect(writes).toHaveLength(8);
    expect(statements.filter((sql) => /^\s*(begin|insert|update)/i.test(sql))).toEqual([]);
    expect(await inst.deps.db('revocations').where({ kind: 'key', key_id: key.id })).toHaveLength(1);
    const audit = await inst.deps.db('audit_events').where({ target_id: key.id, action: 'key.revoked' });
    expect(audit).toHaveLength(1);
    expect(audit[0].detail).toEqual({ reason: answers[0]!.body.revoke_reason });
  });

  it('revokes a live key that already has a revocation entry (a row restored by hand), keeping that entry', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const { key, secret } = await createKey(inst.deps, org);
    const revokedAt = new Date(Math.ceil(Date.now() / 1000) * 1000);
    // Under the seq lock, as every writer must (docs/design.md): this database is shared with other
    // workers' instances, whose leases would skip an entry committed out of seq order.
    let seq = 0;
    await inst.deps.db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [REVOCATION_SEQ_LOCK]);
      const [row] = await trx('revocations')
        .insert({
          kind: 'key',
          org_id: org.id,
          key_id: key.id,
          jti: null,
          revoked_at: revokedAt,
          expires_at: new Date(revokedAt.getTime() + 3_600_000),
        })
        .returning<Array<{ seq: number }>>('seq');
      seq = row!.seq;
    });
    const res = await request(inst.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).send({ reason: 'restored' }).expect(200);
    expect(res.body).toMatchObject({ status: 'revoked', revoke_reason: 'restored' });
    expect((await inst.deps.db('revocations').where({ key_id: key.id })).map((r) => r.seq)).toEqual([seq]);
    await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
  });

  it("leaves another org's key alone and answers 404", async () => {
    const { token } = await createAdmin(inst.deps, inst.app);
    const other = await createKey(inst.deps, await createOrg(inst.deps));
    await request(inst.app).post(`/v1/keys/${other.key.id}/revoke`).set(auth(token)).send({}).expect(404);
    const row = await inst.deps.db('api_keys').where({ id: other.key.id }).first();
    expect(row.revoked_at).toBeNull();
    expect(await inst.deps.db('revocations').where({ key_id: other.key.id })).toEqual([]);
    expect(await inst.deps.db('audit_events').where({ target_id: other.key.id, action: 'key.revoked' })).toEqual([]);
  });

  it('DELETE revokes and answers 204', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const { key, secret } = await createKey(inst.deps, org);
    await request(inst.app).delete(`/v1/keys/${key.id}`).set(auth(token)).expect(204, '');
    await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
    expect((await request(inst.app).get(`/v1/keys/${key.id}`).set(auth(token))).body.status).toBe('revoked');
  });

  it('answers 404 for a malformed key ID', async () => {
    const { token } = await createAdmin(inst.deps, inst.app);
    await request(inst.app).post('/v1/keys/not-a-key/revoke').set(auth(token)).expect(404);
  });
});

describe('management tokens', () => {
  it('refuses a token whose audience is not the management audience', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org, { scopes: ['keys:read'], audiences: ['https://api.example'] });
    const token = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    const res = await request(inst.app).get('/v1/keys').set(auth(token)).expect(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'token is invalid' });
  });

  it('refuses a token of a revoked key at once', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const other = await createKey(inst.deps, org, { scopes: ['keys:read'] });
    const otherToken = await exchange(inst.app, { org_id: other.key.orgId, key_id: other.key.id, secret: other.secret });
    await request(inst.app).get('/v1/keys').set(auth(otherToken)).expect(200);
    await request(inst.app).post(`/v1/keys/${other.key.id}/revoke`).set(auth(token)).expect(200);
    await request(inst.app)
      .get('/v1/keys')
      .set(auth(otherToken))
      .expect(401, { error: 'invalid_token', error_description: 'token has been revoked' });
  });

  it('refuses a malformed Authorization header with 401', async () => {
    const res = await request(inst.app).get('/v1/keys').set('Authorization', 'Token abc').expect(401);
    expect(res.body.error).toBe('invalid_token');
  });
});
