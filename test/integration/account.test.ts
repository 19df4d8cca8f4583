import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createOrg } from '../support/fixtures.js';
import { asPerson, createPerson, PASSWORD, signIn } from '../support/people.js';
import { addMemberIn } from '../../src/domain/people/users.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance({ env: { SIGNIN_FAILURES_PER_ACCOUNT: '3', TRUST_PROXY: 'true' } });
});
afterAll(async () => {
  await inst.close();
});

const NEW_PASSWORD = 'a brand new long password';
const cookieOf = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]?.split(';')[0];

describe('GET /v1/me for a session', () => {
  it("gives a reloaded page back its session's CSRF token, and lists the person's organisations with their role in each", async () => {
    const first = await createOrg(inst.deps, 'First');
    const second = await createOrg(inst.deps, 'Second');
    const user = await createPerson(inst.deps, first, 'developer');
    await inst.deps.db.transaction((trx) => addMemberIn(inst.deps, trx, user, second.id, 'admin', { type: 'cli', id: null }));
    const s = await signIn(inst.app, user, second.id);
    const me = await request(inst.app).get('/v1/me').set('Cookie', s.cookie).expect(200);
    expect(me.body).toMatchObject({ org: { id: second.id }, role: 'admin', csrf_token: s.csrf });
    expect(me.body.orgs).toEqual([
      { id: first.id, name: 'First', role: 'developer' },
      { id: second.id, name: 'Second', role: 'admin' },
    ]);
    // The token it gives back is the one that passes the CSRF check.
    await request(inst.app)
      .post('/v1/keys')
      .set({ Cookie: s.cookie, 'X-CSRF-Token': me.body.csrf_token as string })
      .send({ name: 'after a reload' })
      .expect(201);
    // Another session of the same person has its own token.
    const other = await signIn(inst.app, user, second.id);
    const otherMe = await request(inst.app).get('/v1/me').set('Cookie', other.cookie).expect(200);
    expect(otherMe.body.csrf_token).toBe(other.csrf);
    expect(other.csrf).not.toBe(s.csrf);
  });

  it('never lets another site read it with the cookie (no CORS credentials)', async () => {
    const s = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'viewer'));
    const res = await request(inst.app).get('/v1/me').set('Cookie', s.cookie).set('Origin', 'https://evil.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('POST /v1/me/password', () => {
  it('changes the password, ends every other session and rotates this one (new ID and CSRF token)', async () => {
    const user = await createPerson(inst.deps, await createOrg(inst.deps), 'developer');
    const here = await signIn(inst.app, user);
    const elsewhere = await signIn(inst.app, user);
    const res = await request(inst.app)
      .post('/v1/me/password')
      .set(asPerson(here))
      .send({ current_password: PASSWORD, new_password: NEW_PASSWORD })
      .expect(204);
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/^__Host-scope-auth-session=[A-Za-z0-9_-]{43}$/);
    expect(cookie).not.toBe(here.cookie);
    // Both old sessions are over; the new cookie works, with a new CSRF token from GET /v1/me.
    await request(inst.app).get('/v1/me').set('Cookie', here.cookie).expect(401);
    await request(inst.app).get('/v1/me').set('Cookie', elsewhere.cookie).expect(401);
    const me = await request(inst.app).get('/v1/me').set('Cookie', cookie!).expect(200);
    expect(me.body.csrf_token).not.toBe(here.csrf);
    await request(inst.app).post('/v1/keys').set({ Cookie: cookie!, 'X-CSRF-Token': here.csrf }).send({ name: 'old token' }).expect(403);
    await request(inst.app)
      .post('/v1/keys')
      .set({ Cookie: cookie!, 'X-CSRF-Token': me.body.csrf_token as string })
      .send({ name: 'new token' })
      .expect(201);
    // Only the new password signs in now.
    await request(inst.app).post('/v1/session').send({ email: user.email, password: PASSWORD }).expect(401);
    await request(inst.app).post('/v1/session').send({ email: user.email, password: NEW_PASSWORD }).expect(200);
    const events = await inst.deps
      .db('audit_events')
      .where({ target_id: user.id, action: 'user.password_changed' })
      .select('actor_id', 'detail');
    expect(events).toEqual([{ actor_id: user.id, detail: expect.objectContaining({ sessions_ended: 2 }) }]);
  });

  it('refuses a wrong current password with 401 invalid_credentials, audited and throttled like sign-in', async () => {
    const user = await createPerson(inst.deps, await createOrg(inst.deps), 'viewer');
    const s = await signIn(inst.app, user);
    const attempt = (current: string, ip: string) =>
      request(inst.app)
        .post('/v1/me/password')
        .set(asPerson(s))
        .set('X-Forwarded-For', ip)
        .send({ current_password: current, new_password: NEW_PASSWORD });
    for (let i = 0; i < 3; i++) {
      const wrong = await attempt('not my password at all', '203.0.113.20').expect(401);
      expect(wrong.body).toEqual({ error: 'invalid_credentials', error_description: 'the current password is incorrect' });
    }
    await attempt(PASSWORD, '203.0.113.20').expect(429);
    await inst.deps.audit.flush();
    const failed = await inst.deps.db('audit_events').where({ target_id: user.id, action: 'user.password_change_failed' }).pluck('detail');
    expect(failed.map((d: { reason: string }) => d.reason)).toEqual(['wrong_password', 'wrong_password', 'wrong_password']);
    // The session still works, and the password is unchanged.
    await request(inst.app).get('/v1/me').set('Cookie', s.cookie).expect(200);
    await attempt(PASSWORD, '198.51.100.20').expect(204);
  });

  it('applies the password policy and needs the CSRF token', async () => {
    const s = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'viewer'));
    const short = await request(inst.app)
      .post('/v1/me/password')
      .set(asPerson(s))
      .send({ current_password: PASSWORD, new_password: 'too short' })
      .expect(400);
    expect(short.body.error_description).toBe('password must be at least 12 characters');
    const common = await request(inst.app)
      .post('/v1/me/password')
      .set(asPerson(s))
      .send({ current_password: PASSWORD, new_password: 'Password123456' })
      .expect(400);
    expect(common.body.error_description).toBe('password is too common; choose another');
    const noCsrf = await request(inst.app)
      .post('/v1/me/password')
      .set('Cookie', s.cookie)
      .send({ current_password: PASSWORD, new_password: NEW_PASSWORD })
      .expect(403);
    expect(noCsrf.body.error).toBe('csrf_failed');
    await request(inst.app).post('/v1/me/password').set(asPerson(s)).send({ current_password: PASSWORD }).expect(400);
    // A management token is not a person: session only.
    await request(inst.app).post('/v1/me/password').set('Authorization', 'Bearer x').send({}).expect(401);
  });
});

describe('GET /v1/session/methods', () => {
  it('tells the sign-in page whether to offer single sign-on', async () => {
    const res = await request(inst.app).get('/v1/session/methods').expect(200);
    expect(res.body).toEqual({ password: true, sso: false });
    const sso = await createTestInstance({
      env: { OIDC_ISSUER: 'https://idp.example', OIDC_CLIENT_ID: 'scope-auth', OIDC_CLIENT_SECRET: 'not-a-real-secret-0123456789' },
    });
    try {
      expect((await request(sso.app).get('/v1/session/methods').expect(200)).body).toEqual({ password: true, sso: true });
    } finally {
      await sso.close();
    }
  });
});
