import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { ADMIN_SCOPES, auth, createKey, createOrg, exchange, type KeyOptions } from '../support/fixtures.js';

// Issue 16, point 7. DESIGN.md: "A key never grants a management scope it does not hold itself, and
// never loosens (allowlist, expiry, audiences) a key that holds scopes it lacks."
const HOUR_MS = 3_600_000;
const inHours = (h: number) => new Date(Date.now() + h * HOUR_MS).toISOString();

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => inst.close());

async function setUp(callerScopes: string[], target: KeyOptions) {
  const org = await createOrg(inst.deps);
  const caller = await createKey(inst.deps, org, { scopes: callerScopes });
  const token = await exchange(inst.app, { org_id: caller.key.orgId, key_id: caller.key.id, secret: caller.secret });
  const { key } = await createKey(inst.deps, org, target);
  return { token, key };
}

// Holds audit:read, which the caller (keys:read keys:write) lacks.
const GUARDED: KeyOptions = {
  scopes: ['keys:read', 'audit:read', 'reports:read'],
  audiences: ['https://a.test', 'https://c.test'],
  allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
  expiresAt: new Date(Date.now() + 24 * HOUR_MS),
};
const NOT_LOOSENING = {
  error: 'insufficient_scope',
  error_description: 'cannot loosen a key holding scope "audit:read": the calling token does not hold it',
};

describe('PATCH /v1/keys/:id on a key holding a management scope the caller lacks', () => {
  it.each<[string, Record<string, unknown>]>([
    ['empties the allowlist', { allowed_cidrs: [] }],
    ['adds an address range', { allowed_cidrs: ['10.0.0.0/8', '2001:db8::/32', '192.168.0.0/16'] }],
    ['swaps in a range it did not have', { allowed_cidrs: ['192.168.0.0/16'] }],
    ['widens a range', { allowed_cidrs: ['10.0.0.0/7'] }],
    ['removes the expiry', { expires_at: null }],
    ['moves the expiry later', { expires_at: inHours(48) }],
    ['adds an audience', { audiences: ['https://a.test', 'https://c.test', 'https://b.test'] }],
    ['switches to the default audience', { audiences: [] }],
    ['adds a scope', { scopes: ['keys:read', 'audit:read', 'reports:read', 'reports:write'] }],
  ])('refuses a change that %s with 403 naming the scope', async (_what, body) => {
    const { token, key } = await setUp(['keys:read', 'keys:write'], GUARDED);
    const res = await request(inst.app).patch(`/v1/keys/${key.id}`).set(auth(token)).send(body).expect(403, NOT_LOOSENING);
    expect(res.headers['www-authenticate']).toContain('scope="audit:read"');
    const after = await request(inst.app).get(`/v1/keys/${key.id}`).set(auth(token)).expect(200);
    expect(after.body).toMatchObject({
      allowed_cidrs: GUARDED.allowedCidrs,
      audiences: GUARDED.audiences,
      scopes: GUARDED.scopes,
      expires_at: GUARDED.expiresAt!.toISOString(),
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['narrows the allowlist', { allowed_cidrs: ['10.1.0.0/16'] }],
    ['drops an address range', { allowed_cidrs: ['2001:db8:1::/48'] }],
    ['moves the expiry earlier', { expires_at: inHours(2) }],
    ['drops an audience', { audiences: ['https://c.test'] }],
    ['drops a scope it cannot grant itself but the key already holds', { scopes: ['audit:read', 'reports:read'] }],
    ['renames and describes it', { name: 'renamed', description: 'still as tight' }],
  ])('allows a change that %s', async (_what, body) => {
    const { token, key } = await setUp(['keys:read', 'keys:write'], GUARDED);
    await request(inst.app).patch(`/v1/keys/${key.id}`).set(auth(token)).send(body).expect(200);
  });

  it('lets a caller holding every scope of the key loosen it', async () => {
    const { token, key } = await setUp(ADMIN_SCOPES, GUARDED);
    const res = await request(inst.app)
      .patch(`/v1/keys/${key.id}`)
      .set(auth(token))
      .send({ allowed_cidrs: [], expires_at: null })
      .expect(200);
    expect(res.body).toMatchObject({ allowed_cidrs: [], expires_at: null });
  });

  it('lets a keys:write caller loosen a key with no management scope', async () => {
    const { token, key } = await setUp(['keys:write'], { ...GUARDED, scopes: ['reports:read'] });
    await request(inst.app)
      .patch(`/v1/keys/${key.id}`)
      .set(auth(token))
      .send({ allowed_cidrs: [], audiences: ['https://z.test'] })
      .expect(200);
  });
});

describe('PATCH /v1/keys/:id never brings a key back', () => {
  const EXPIRED = { error: 'conflict', error_description: 'an expired key cannot be brought back; create or rotate a key' };

  it.each<[string, Record<string, unknown>]>([
    ['a later expiry', { expires_at: inHours(24) }],
    ['no expiry', { expires_at: null }],
  ])('refuses an expired key %s with 409', async (_what, body) => {
    const { token, key } = await setUp(ADMIN_SCOPES, { expiresAt: new Date(Date.now() - 1_000) });
    await request(inst.app).patch(`/v1/keys/${key.id}`).set(auth(token)).send(body).expect(409, EXPIRED);
    const after = await request(inst.app).get(`/v1/keys/${key.id}`).set(auth(token)).expect(200);
    expect(after.body.status).toBe('expired');
  });

  it('still lets an expired key be renamed', async () => {
    const { token, key } = await setUp(ADMIN_SCOPES, { expiresAt: new Date(Date.now() - 1_000) });
    const res = await request(inst.app).patch(`/v1/keys/${key.id}`).set(auth(token)).send({ name: 'old' }).expect(200);
    expect(res.body).toMatchObject({ name: 'old', status: 'expired' });
  });

  it.each<[number, string, Record<string, unknown>]>([
    [409, 'no expiry', { expires_at: null }],
    [409, 'a later expiry', { expires_at: inHours(5) }],
    [200, 'an earlier expiry', { expires_at: new Date(Date.now() + HOUR_MS / 2).toISOString() }],
  ])('answers %i to giving a rotated key %s', async (status, _what, body) => {
    const { token, key } = await setUp(ADMIN_SCOPES, {});
    await request(inst.app).post(`/v1/keys/${key.id}/rotate`).set(auth(token)).send({ grace_period_seconds: 3600 }).expect(201);
    const res = await request(inst.app).patch(`/v1/keys/${key.id}`).set(auth(token)).send(body).expect(status);
    if (status === 409) expect(res.body.error_description).toMatch(/^a rotated key can only expire earlier; its replacement is key_/);
  });

  it('refuses any change to a revoked key', async () => {
    const { token, key } = await setUp(ADMIN_SCOPES, {});
    await request(inst.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
    await request(inst.app)
      .patch(`/v1/keys/${key.id}`)
      .set(auth(token))
      .send({ name: 'x' })
      .expect(409, { error: 'conflict', error_description: 'a revoked key cannot be changed' });
  });
});
