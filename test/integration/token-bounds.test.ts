import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { verifyAccessToken } from '../../src/domain/token-verification.js';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { auth, createAdmin, createKey, createOrg } from '../support/fixtures.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const AUTH_FAILED = { error: 'invalid_client', error_description: 'client authentication failed' };

/** Distinct scopes of `length` characters each. */
const scopes = (count: number, length: number, tag = 's') => Array.from({ length: count }, (_, i) => `${tag}${i}:`.padEnd(length, 'x'));
/** Distinct audiences of `length` characters each. */
const audiences = (count: number, length: number) =>
  Array.from({ length: count }, (_, i) => `https://api${i}.example/`.padEnd(length, 'a'));

describe('token size bounds (issue 16, point 19)', () => {
  let inst: TestInstance;
  beforeAll(async () => {
    inst = await createTestInstance();
  });
  afterAll(async () => inst.close());

  // 19 scopes of 100 characters and one of 81, joined by spaces: exactly 2,000 characters.
  const MAX_SCOPES = [...scopes(19, 100), 'last:'.padEnd(81, 'y')];
  // Eight audiences of 250 characters: exactly 2,000 characters.
  const MAX_AUDIENCES = audiences(8, 250);

  it('gives a key at the limits a token that the service itself accepts', async () => {
    const { token: admin } = await createAdmin(inst.deps, inst.app);
    expect(MAX_SCOPES.join(' ')).toHaveLength(2_000);
    const created = await request(inst.app)
      .post('/v1/keys')
      .set(auth(admin))
      .send({ name: 'big', scopes: MAX_SCOPES, audiences: MAX_AUDIENCES })
      .expect(201);
    const { id, secret, org_id: orgId } = created.body as { id: string; secret: string; org_id: string };

    const res = await request(inst.app).post('/v1/token').send({ org_id: orgId, key_id: id, secret }).expect(200);
    const token = res.body.access_token as string;
    // Longer than the old 4,096-character bound, within the one bound used everywhere now.
    expect(token.length).toBeGreaterThan(4_096);
    expect(token.length).toBeLessThanOrEqual(8_192);

    const introspected = await request(inst.app)
      .post('/oauth/introspect')
      .set('Authorization', basic(id, secret))
      .type('form')
      .send({ token })
      .expect(200);
    expect(introspected.body).toMatchObject({ active: true, sub: id });
    const claims = await verifyAccessToken(inst.deps, token, MAX_AUDIENCES[3]);
    expect(claims).toMatchObject({ sub: id, scopes: MAX_SCOPES, aud: MAX_AUDIENCES });
  });

  it.each([
    [
      'scopes',
      { scopes: [...MAX_SCOPES.slice(0, -1), 'last:'.padEnd(82, 'y')] },
      '"scopes": at most 2000 characters in all (joined with spaces)',
    ],
    [
      'audiences',
      { audiences: [...MAX_AUDIENCES.slice(0, -1), 'https://z.example/'.padEnd(251, 'a')] },
      '"audiences": at most 2000 characters in all',
    ],
    [
      'audiences (a quote counts twice, as in the token)',
      { audiences: [...MAX_AUDIENCES.slice(0, -1), 'https://q.example/"'.padEnd(250, 'a')] },
      '"audiences": at most 2000 characters in all',
    ],
  ])('refuses a key whose %s would not fit in a token, on create and on change', async (_what, fields, description) => {
    const { org, token: admin } = await createAdmin(inst.deps, inst.app);
    const expected = { error: 'invalid_request', error_description: description };
    await request(inst.app)
      .post('/v1/keys')
      .set(auth(admin))
      .send({ name: 'too big', ...fields })
      .expect(400, expected);
    const { key } = await createKey(inst.deps, org);
    await request(inst.app).patch(`/v1/keys/${key.id}`).set(auth(admin)).send(fields).expect(400, expected);
  });

  it('never signs a token longer than the bound, even for a key stored before the limits', async () => {
    const org = await createOrg(inst.deps);
    // The old limits: 50 scopes of 100 characters, 10 audiences of 256.
    const { key, secret } = await createKey(inst.deps, org, { scopes: scopes(50, 100), audiences: audiences(10, 256) });
    await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: key.id, secret }).expect(400, {
      error: 'invalid_scope',
      error_description: 'the token would be longer than 8192 characters: request fewer scopes or one audience',
    });
    // Narrowed, it fits.
    const ok = await request(inst.app)
      .post('/v1/token')
      .send({ org_id: org.id, key_id: key.id, secret, scope: key.scopes.slice(0, 5).join(' '), audience: key.audiences[0] })
      .expect(200);
    expect(ok.body.access_token.length).toBeLessThanOrEqual(8_192);
  });
});

describe('a key in its last second (issue 16, point 21)', () => {
  const clock = fakeClock(Math.ceil(Date.now() / 1000) * 1000);
  let inst: TestInstance;
  beforeAll(async () => {
    inst = await createTestInstance({ clock });
  });
  afterAll(async () => inst.close());

  it('is refused like an expired key rather than given a token with expires_in 0', async () => {
    const org = await createOrg(inst.deps);
    const second = clock.now() + 60_000; // a whole second
    const { key, secret } = await createKey(inst.deps, org, { expiresAt: new Date(second + 500) });
    const body = { org_id: org.id, key_id: key.id, secret };

    clock.set(second - 1);
    const last = await request(inst.app).post('/v1/token').send(body).expect(200);
    expect(last.body.expires_in).toBe(1);

    for (const at of [second, second + 100, second + 499]) {
      clock.set(at);
      await request(inst.app).post('/v1/token').set('User-Agent', `last-second/${at}`).send(body).expect(401, AUTH_FAILED);
    }
    await inst.deps.audit.flush();
    const rows = await inst.deps.db('audit_events').where({ target_id: key.id, action: 'exchange.rejected' });
    expect(rows.map((r: { detail: { reason: string } }) => r.detail.reason)).toEqual(['expired', 'expired', 'expired']);
  });
});
