import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { resetPassword } from '../../src/domain/people/users.js';
import { createTestInstance, LogCapture, type TestInstance } from '../support/app.js';
import { embeddedBackend } from '../support/embedded-backend.js';
import { createAdmin, createOrg } from '../support/fixtures.js';
import { asPerson, createPerson, PASSWORD, signIn } from '../support/people.js';

let inst: TestInstance;
const logs = new LogCapture();
const clock = fakeClock();
beforeAll(async () => {
  inst = await createTestInstance({ clock, logs, env: { SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '12' } });
});
afterAll(async () => {
  await inst.close();
});

const INVALID = { error: 'invalid_credentials', error_description: 'email or password is incorrect' };

describe('POST /v1/session', () => {
  it('signs in with a __Host- session cookie (HttpOnly, SameSite=Lax, Secure, Path=/, no Domain) under https, and answers user, org, role and csrf_token', async () => {
    const org = await createOrg(inst.deps, 'Acme');
    const user = await createPerson(inst.deps, org, 'developer', 'Ada');
    const res = await request(inst.app).post('/v1/session').send({ email: user.email.toUpperCase(), password: PASSWORD }).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      user: { id: user.id, email: user.email, name: 'Ada' },
      org: { id: org.id, name: 'Acme' },
      role: 'developer',
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
    expect(cookie).toMatch(/^__Host-scope-auth-session=[A-Za-z0-9_-]{43}; /);
    // Express writes Expires from the real clock; Max-Age (SESSION_MAX_HOURS) is what browsers follow.
    expect(
      cookie
        .split('; ')
        .slice(1)
        .filter((a) => !a.startsWith('Expires='))
        .sort(),
    ).toEqual(['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Lax', 'Secure']);
    expect(cookie).toMatch(/; Expires=\w{3}, \d{2} \w{3} \d{4} /);
    expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
    // The plain name is not read under https: a cookie planted by a sibling host cannot stand in.
    const value = cookie.split(';')[0]!.split('=')[1]!;
    await request(inst.app).get('/v1/me').set('Cookie', `__Host-scope-auth-session=${value}`).expect(200);
    await request(inst.app).get('/v1/me').set('Cookie', `scope-auth-session=${value}`).expect(401);
  });

  it('answers the same 401 invalid_credentials for an unknown email and a wrong password', async () => {
    const user = await createPerson(inst.deps, await createOrg(inst.deps), 'viewer');
    const unknown = await request(inst.app).post('/v1/session').send({ email: 'nobody-here@example.test', password: PASSWORD }).expect(401);
    const wrong = await request(inst.app).post('/v1/session').send({ email: user.email, password: 'not the password at all' }).expect(401);
    expect(unknown.body).toEqual(INVALID);
    expect(wrong.body).toEqual(INVALID);
    expect(unknown.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
    expect(unknown.headers['set-cookie']).toBeUndefined();
    await inst.deps.audit.flush();
    const reasons = await inst.deps
      .db('audit_events')
      .where({ action: 'session.failed' })
      .whereRaw("detail->>'email' in (?, ?)", ['nobody-here@example.test', user.email])
      .select('detail');
    expect(reasons.map((r: { detail: { reason: string } }) => r.detail.reason).sort()).toEqual(['unknown_email', 'wrong_password']);
  });

  it('refuses malformed input with 400 invalid_request', async () => {
    const res = await request(inst.app).post('/v1/session').send({ email: 'a@b.c' }).expect(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: '"password" is required' });
    await request(inst.app).post('/v1/session').set('Content-Type', 'application/json').send('{"email":').expect(400);
  });

  it('issues a new session ID at every sign-in and ends the one the browser carried (no fixation)', async () => {
    const user = await createPerson(inst.deps, await createOrg(inst.deps), 'admin');
    const first = await signIn(inst.app, user);
    const res = await request(inst.app)
      .post('/v1/session')
      .set('Cookie', first.cookie)
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    const second = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
    expect(second).not.toBe(first.cookie);
    await request(inst.app).get('/v1/me').set('Cookie', first.cookie).expect(401);
    await request(inst.app).get('/v1/me').set('Cookie', second).expect(200);
  });

  it('never accepts a session ID the client made up', async () => {
    const res = await request(inst.app)
      .get('/v1/me')
      .set('Cookie', '__Host-scope-auth-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
      .expect(401);
    expect(res.body).toEqual({ error: 'invalid_credentials', error_description: 'the session has ended; sign in again' });
  });

  it('refuses a sign-in posted from another origin (login CSRF)', async () => {
    const user = await createPerson(inst.deps, await createOrg(inst.deps), 'viewer');
    const res = await request(inst.app)
      .post('/v1/session')
      .set('Origin', 'https://evil.example')
      .send({ email: user.email, password: PASSWORD })
      .expect(403);
    expect(res.body.error).toBe('csrf_failed');
  });

  it('signs in to the organisation named by org_id, and refuses one the person is not a member of', async () => {
    const a = await createOrg(inst.deps);
    const b = await createOrg(inst.deps);
    const user = await createPerson(inst.deps, a, 'viewer');
    await request(inst.app).post('/v1/session').send({ email: user.email, password: PASSWORD, org_id: b.id }).expect(403);
  });
});

describe('sessions', () => {
  it('DELETE /v1/session ends the session on the server', async () => {
    const s = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'viewer'));
    const res = await request(inst.app).delete('/v1/session').set(asPerson(s)).expect(204);
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]).toMatch(/^__Host-scope-auth-session=;/);
    await request(inst.app).get('/v1/me').set('Cookie', s.cookie).expect(401);
    expect(await inst.deps.db('sessions').where({ user_id: s.user.id })).toHaveLength(0);
  });

  it("lists the person's sessions (never their IDs) and signs out everywhere", async () => {
    const org = await createOrg(inst.deps);
    const user = await createPerson(inst.deps, org, 'developer');
    const one = await signIn(inst.app, user);
    const two = await signIn(inst.app, user);
    const list = await request(inst.app).get('/v1/sessions').set('Cookie', one.cookie).set('User-Agent', 'jest').expect(200);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data.filter((x: { current: boolean }) => x.current)).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(one.cookie.split('=')[1]!);
    expect(list.body.data[0]).toEqual({
      org_id: org.id,
      created_at: expect.any(String),
      last_seen_at: expect.any(String),
      expires_at: expect.any(String),
      ip: expect.any(String),
      user_agent: null,
      current: expect.any(Boolean),
    });
    await request(inst.app).delete('/v1/sessions').set('Cookie', one.cookie).expect(403); // CSRF applies here too
    await request(inst.app).delete('/v1/sessions').set(asPerson(one)).expect(204);
    await request(inst.app).get('/v1/me').set('Cookie', one.cookie).expect(401);
    await request(inst.app).get('/v1/me').set('Cookie', two.cookie).expect(401);
  });

  it('ends after SESSION_IDLE_MINUTES without a request, and after SESSION_MAX_HOURS however busy', async () => {
    const s = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'viewer'));
    clock.advance(29 * 60_000);
    await request(inst.app).get('/v1/me').set('Cookie', s.cookie).expect(200);
    clock.advance(29 * 60_000); // 58 minutes in, but 29 since the last request
    await request(inst.app).get('/v1/me').set('Cookie', s.cookie).expect(200);
    clock.advance(31 * 60_000);
    await request(inst.app).get('/v1/me').set('Cookie', s.cookie).expect(401);

    const busy = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'viewer'));
    for (let i = 0; i < 25; i++) {
      clock.advance(29 * 60_000);
      const status = (await request(inst.app).get('/v1/me').set('Cookie', busy.cookie)).status;
      expect(status).toBe(i < 24 ? 200 : 401); // 12 h = 24 steps of 29 minutes and a bit
      if (status === 401) break;
    }
  });

  // Several instances share one store only on Postgres and Redis: embedded mode is one instance.
  (embeddedBackend ? it.skip : it)(
    'ends at once on every instance, though each caches sessions (sign-out, removal, role change)',
    async () => {
      const prefix = `people-cache-${Date.now()}:`;
      const a = await createTestInstance({ prefix });
      const b = await createTestInstance({ prefix });
      try {
        const org = await createOrg(a.deps);
        const owner = await signIn(a.app, await createPerson(a.deps, org, 'owner'));
        const dev = await signIn(a.app, await createPerson(a.deps, org, 'admin'));
        // Warm B's cache with both sessions.
        await request(b.app).get('/v1/keys').set('Cookie', dev.cookie).expect(200);
        await request(b.app).get('/v1/me').set('Cookie', owner.cookie).expect(200);
        // A demotion on A: B answers with the new role at once.
        await request(a.app).patch(`/v1/members/${dev.user.id}`).set(asPerson(owner)).send({ role: 'viewer' }).expect(200);
        await request(b.app).get('/v1/keys').set('Cookie', dev.cookie).expect(403);
        // A sign-out on A: B refuses the session at once.
        await request(a.app).delete('/v1/session').set(asPerson(owner)).expect(204);
        await request(b.app).get('/v1/me').set('Cookie', owner.cookie).expect(401);
      } finally {
        await a.close();
        await b.close();
      }
    },
  );

  it('ends every session of a person when the password changes', async () => {
    const user = await createPerson(inst.deps, await createOrg(inst.deps), 'developer');
    const one = await signIn(inst.app, user);
    const two = await signIn(inst.app, user);
    await resetPassword(inst.deps, user.email, 'another long password 42', { type: 'cli', id: null });
    await request(inst.app).get('/v1/me').set('Cookie', one.cookie).expect(401);
    await request(inst.app).get('/v1/me').set('Cookie', two.cookie).expect(401);
    await request(inst.app).post('/v1/session').send({ email: user.email, password: 'another long password 42' }).expect(200);
  });

  it('names the cookie scope-auth-session without Secure when ISSUER is http (local development)', async () => {
    const plain = await createTestInstance({ env: { ISSUER: 'http://localhost:8080' } });
    try {
      const user = await createPerson(plain.deps, await createOrg(plain.deps), 'viewer');
      const res = await request(plain.app).post('/v1/session').send({ email: user.email, password: PASSWORD }).expect(200);
      const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
      expect(cookie).toMatch(/^scope-auth-session=[A-Za-z0-9_-]{43}; /);
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).not.toContain('Secure');
      await request(plain.app).get('/v1/me').set('Cookie', cookie.split(';')[0]!).expect(200);
    } finally {
      await plain.close();
    }
  });
});

describe('CSRF', () => {
  const change = (s: { cookie: string }, headers: Record<string, string | undefined>) =>
    request(inst.app)
      .post('/v1/keys')
      .set('Cookie', s.cookie)
      .set(Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined)))
      .send({ name: 'csrf probe' });

  it("refuses a state-changing session request without X-CSRF-Token, with a wrong one, and with another session's", async () => {
    const org = await createOrg(inst.deps);
    const s = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    const other = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    for (const headers of [{}, { 'X-CSRF-Token': 'wrong' }, { 'X-CSRF-Token': other.csrf }, { 'X-CSRF-Token': '' }]) {
      const res = await change(s, headers).expect(403);
      expect(res.body).toEqual({ error: 'csrf_failed', error_description: 'X-CSRF-Token is missing or does not match this session' });
    }
    expect(await inst.deps.db('api_keys').where({ org_id: org.id })).toHaveLength(0);
    await change(s, { 'X-CSRF-Token': s.csrf }).expect(201);
  });

  it('refuses another Origin or a cross-site Sec-Fetch-Site even with the right token', async () => {
    const s = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'admin'));
    for (const headers of [{ Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site' }]) {
      const res = await change(s, { 'X-CSRF-Token': s.csrf, ...headers }).expect(403);
      expect(res.body.error).toBe('csrf_failed');
    }
    await change(s, { 'X-CSRF-Token': s.csrf, Origin: new URL(inst.config.issuer).origin, 'Sec-Fetch-Site': 'same-origin' }).expect(201);
  });

  it('needs no token to read', async () => {
    const s = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'admin'));
    await request(inst.app).get('/v1/keys').set('Cookie', s.cookie).expect(200);
  });

  it('refuses a request carrying both a session cookie and a bearer token', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const s = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    const res = await request(inst.app).get('/v1/keys').set('Cookie', s.cookie).set('Authorization', `Bearer ${token}`).expect(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'send a session cookie or an Authorization header, not both' });
  });
});

describe('GET /v1/me', () => {
  it('answers for a person: user, org, role and permissions', async () => {
    const org = await createOrg(inst.deps, 'Me Org');
    const user = await createPerson(inst.deps, org, 'viewer', 'Vi');
    const s = await signIn(inst.app, user);
    const res = await request(inst.app).get('/v1/me').set('Cookie', s.cookie).expect(200);
    expect(res.body).toEqual({
      type: 'user',
      user: { id: user.id, email: user.email, name: 'Vi' },
      org: { id: org.id, name: 'Me Org' },
      role: 'viewer',
      permissions: ['org:read', 'members:read'],
      csrf_token: s.csrf,
      orgs: [{ id: org.id, name: 'Me Org', role: 'viewer' }],
    });
  });

  it('answers for a key: key ID, org, scopes, aud, exp', async () => {
    const { org, key, token } = await createAdmin(inst.deps, inst.app);
    const res = await request(inst.app).get('/v1/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body).toEqual({
      type: 'key',
      key_id: key.id,
      org_id: org.id,
      scopes: ['keys:read', 'keys:write', 'audit:read'],
      aud: [inst.config.managementAudience],
      exp: expect.any(Number),
    });
  });

  it('answers 401 with neither', async () => {
    await request(inst.app).get('/v1/me').expect(401);
  });
});

describe('throttling', () => {
  let limited: TestInstance;
  beforeAll(async () => {
    limited = await createTestInstance({ env: { SIGNIN_FAILURES_PER_ACCOUNT: '3', SIGNIN_FAILURES_PER_IP: '5', TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await limited.close();
  });
  const attempt = (email: string, password: string, ip: string) =>
    request(limited.app).post('/v1/session').set('X-Forwarded-For', ip).send({ email, password });

  it('refuses the addresses that failed on an account, but not the owner signing in from another one (no lockout)', async () => {
    const user = await createPerson(limited.deps, await createOrg(limited.deps), 'owner');
    for (let i = 0; i < 3; i++) await attempt(user.email, 'wrong password guess', '203.0.113.7').expect(401);
    const refused = await attempt(user.email, PASSWORD, '203.0.113.7').expect(429);
    expect(refused.body).toEqual({ error: 'rate_limited', error_description: 'too many failed sign-ins, retry later' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // A distributed guesser: each new address that fails is closed at once now the account is over its limit...
    await attempt(user.email, 'wrong password guess', '203.0.113.8').expect(401);
    await attempt(user.email, PASSWORD, '203.0.113.8').expect(429);
    // ...while the owner, from an address that never failed, signs in.
    await attempt(user.email, PASSWORD, '198.51.100.1').expect(200);
  });

  it('refuses an address that fails across many accounts', async () => {
    const org = await createOrg(limited.deps);
    for (let i = 0; i < 5; i++) await attempt(`nobody-${i}@example.test`, 'wrong password guess', '203.0.113.50').expect(401);
    const user = await createPerson(limited.deps, org, 'viewer');
    await attempt(user.email, PASSWORD, '203.0.113.50').expect(429);
    await attempt(user.email, PASSWORD, '203.0.113.51').expect(200);
  });
});

describe('logs', () => {
  it('never log a password, a session ID or a CSRF token', async () => {
    const user = await createPerson(inst.deps, await createOrg(inst.deps), 'admin');
    const s = await signIn(inst.app, user);
    await request(inst.app).post('/v1/session').send({ email: user.email, password: 'a wrong password here' }).expect(401);
    await request(inst.app).post('/v1/keys').set(asPerson(s)).send({ name: 'logged?' }).expect(201);
    const text = logs.text();
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('a wrong password here');
    expect(text).not.toContain(s.cookie.split('=')[1]!);
    expect(text).not.toContain(s.csrf);
  });
});
