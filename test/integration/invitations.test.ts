import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { createTestInstance, LogCapture, type TestInstance } from '../support/app.js';
import { createAdmin, createOrg } from '../support/fixtures.js';
import { asPerson, createPerson, PASSWORD, signIn, type SignedIn } from '../support/people.js';

let inst: TestInstance;
const logs = new LogCapture();
const clock = fakeClock();
beforeAll(async () => {
  inst = await createTestInstance({ logs, clock });
});
afterAll(async () => {
  await inst.close();
});

const NEW_PASSWORD = 'the invitee chose this';
const tokenOf = (acceptUrl: string) => new URL(acceptUrl).hash.replace(/^#token=/, '');

async function inviteAs(s: SignedIn, email: string, role = 'developer') {
  const res = await request(inst.app).post('/v1/invitations').set(asPerson(s)).send({ email, role }).expect(201);
  return res.body as { id: string; accept_url: string; expires_at: string };
}

describe('invitations', () => {
  it('invites by email with an accept URL shown once; accepting makes the account, the membership and a session', async () => {
    const org = await createOrg(inst.deps, 'Inviting Org');
    const admin = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    const created = await inviteAs(admin, 'New.Dev@example.test');
    expect(created).toEqual({
      id: expect.stringMatching(/^inv_/),
      email: 'New.Dev@example.test',
      role: 'developer',
      created_at: new Date(clock.now()).toISOString(),
      expires_at: new Date(clock.now() + 7 * 86_400_000).toISOString(),
      accept_url: expect.stringMatching(/^https:\/\/auth\.scope-auth\.test\/console\/accept#token=[A-Za-z0-9_-]{43}$/),
    });
    const pending = await request(inst.app).get('/v1/invitations').set('Cookie', admin.cookie).expect(200);
    expect(pending.body.data).toEqual([
      { id: created.id, email: 'New.Dev@example.test', role: 'developer', created_at: expect.any(String), expires_at: created.expires_at },
    ]);

    const accepted = await request(inst.app)
      .post('/v1/invitations/accept')
      .send({ token: tokenOf(created.accept_url), name: 'Dev', password: NEW_PASSWORD })
      .expect(200);
    expect(accepted.body).toMatchObject({
      user: { email: 'New.Dev@example.test', name: 'Dev' },
      org: { id: org.id, name: 'Inviting Org' },
      role: 'developer',
    });
    const cookie = ([] as string[]).concat(accepted.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
    await request(inst.app).get('/v1/me').set('Cookie', cookie).expect(200);
    await request(inst.app).post('/v1/session').send({ email: 'new.dev@example.test', password: NEW_PASSWORD }).expect(200);

    // Single use.
    const again = await request(inst.app)
      .post('/v1/invitations/accept')
      .send({ token: tokenOf(created.accept_url), name: 'Dev', password: NEW_PASSWORD })
      .expect(404);
    expect(again.body).toEqual({ error: 'not_found', error_description: 'invitation is invalid, used, withdrawn or expired' });
    expect((await request(inst.app).get('/v1/invitations').set('Cookie', admin.cookie)).body.data).toEqual([]);

    await inst.deps.audit.flush();
    const actions = await inst.deps
      .db('audit_events')
      .where({ org_id: org.id })
      .whereIn('action', ['invitation.created', 'invitation.accepted'])
      .orderBy('id')
      .pluck('action');
    expect(actions).toEqual(['invitation.created', 'invitation.accepted']);
  });

  it('expires after 7 days', async () => {
    const admin = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'admin'));
    const created = await inviteAs(admin, `late-${Date.now()}@example.test`);
    clock.advance(7 * 86_400_000 + 1000);
    try {
      await request(inst.app)
        .post('/v1/invitations/accept')
        .send({ token: tokenOf(created.accept_url), name: 'Late', password: NEW_PASSWORD })
        .expect(404);
    } finally {
      clock.advance(-(7 * 86_400_000 + 1000));
    }
  });

  it('is bound to its email: an existing account joins only with its own password', async () => {
    const orgA = await createOrg(inst.deps);
    const orgB = await createOrg(inst.deps, 'Second Org');
    const person = await createPerson(inst.deps, orgA, 'viewer');
    const owner = await signIn(inst.app, await createPerson(inst.deps, orgB, 'owner'));
    const created = await inviteAs(owner, person.email, 'admin');
    const wrong = await request(inst.app)
      .post('/v1/invitations/accept')
      .send({ token: tokenOf(created.accept_url), name: 'x', password: 'someone else guessing' })
      .expect(401);
    expect(wrong.body.error).toBe('invalid_credentials');
    const ok = await request(inst.app)
      .post('/v1/invitations/accept')
      .send({ token: tokenOf(created.accept_url), name: 'ignored', password: PASSWORD })
      .expect(200);
    expect(ok.body).toMatchObject({ user: { id: person.id }, org: { id: orgB.id }, role: 'admin' });
    // Now in two organisations, with a role in each.
    const roles = await inst.deps.db('memberships').where({ user_id: person.id }).orderBy('created_at').pluck('role');
    expect(roles).toEqual(['viewer', 'admin']);
  });

  it('audits a wrong password at accept as a failed sign-in (session.failed, wrong_password) and throttles it like sign-in', async () => {
    const limited = await createTestInstance({ env: { SIGNIN_FAILURES_PER_ACCOUNT: '2', TRUST_PROXY: 'true' } });
    try {
      const person = await createPerson(limited.deps, await createOrg(limited.deps), 'viewer');
      const orgB = await createOrg(limited.deps, 'Guessed Org');
      const owner = await signIn(limited.app, await createPerson(limited.deps, orgB, 'owner'));
      const created = await request(limited.app)
        .post('/v1/invitations')
        .set(asPerson(owner))
        .send({ email: person.email, role: 'viewer' })
        .expect(201);
      const accept = (password: string, ip: string) =>
        request(limited.app)
          .post('/v1/invitations/accept')
          .set('X-Forwarded-For', ip)
          .send({ token: tokenOf(created.body.accept_url as string), name: 'x', password });
      for (let i = 0; i < 2; i++) {
        const wrong = await accept('someone else guessing', '203.0.113.9').expect(401);
        expect(wrong.body).toEqual({ error: 'invalid_credentials', error_description: 'email or password is incorrect' });
      }
      // The guessing address is closed, even with the right password, as at POST /v1/session...
      const refused = await accept(PASSWORD, '203.0.113.9').expect(429);
      expect(refused.body.error).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // ...and sign-in from there too: one set of counters.
      await request(limited.app)
        .post('/v1/session')
        .set('X-Forwarded-For', '203.0.113.9')
        .send({ email: person.email, password: PASSWORD })
        .expect(429);
      await limited.deps.audit.flush();
      const failed = await limited.deps
        .db('audit_events')
        .where({ action: 'session.failed', org_id: orgB.id })
        .select('detail', 'actor_type', 'ip');
      expect(failed).toHaveLength(2);
      expect(failed[0]).toEqual({
        detail: { reason: 'wrong_password', email: person.email, via: 'invitation' },
        actor_type: 'anonymous',
        ip: '203.0.113.9',
      });
      // The owner, from an address that never failed, accepts.
      await accept(PASSWORD, '198.51.100.9').expect(200);
    } finally {
      await limited.close();
    }
  });

  it('refuses an admin inviting an owner, a viewer inviting anyone, a member twice, and a bad address', async () => {
    const org = await createOrg(inst.deps);
    const admin = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    const viewer = await signIn(inst.app, await createPerson(inst.deps, org, 'viewer'));
    await request(inst.app).post('/v1/invitations').set(asPerson(admin)).send({ email: 'x@example.test', role: 'owner' }).expect(403);
    await request(inst.app).post('/v1/invitations').set(asPerson(viewer)).send({ email: 'x@example.test', role: 'viewer' }).expect(403);
    await request(inst.app).post('/v1/invitations').set(asPerson(admin)).send({ email: viewer.user.email, role: 'viewer' }).expect(409);
    const bad = await request(inst.app)
      .post('/v1/invitations')
      .set(asPerson(admin))
      .send({ email: 'not an address', role: 'viewer' })
      .expect(400);
    expect(bad.body).toEqual({ error: 'invalid_request', error_description: '"email" is not an email address' });
  });

  it("withdraws a pending invitation; another org's is a 404", async () => {
    const admin = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'admin'));
    const stranger = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'admin'));
    const created = await inviteAs(admin, 'withdrawn@example.test');
    await request(inst.app).delete(`/v1/invitations/${created.id}`).set(asPerson(stranger)).expect(404);
    await request(inst.app).delete(`/v1/invitations/${created.id}`).set(asPerson(admin)).expect(204);
    await request(inst.app)
      .post('/v1/invitations/accept')
      .send({ token: tokenOf(created.accept_url), name: 'W', password: NEW_PASSWORD })
      .expect(404);
  });

  it('works for a management token with members:write, and never logs the token', async () => {
    const { token } = await createAdmin(inst.deps, inst.app, ['members:read', 'members:write']);
    const res = await request(inst.app)
      .post('/v1/invitations')
      .set('Authorization', `Bearer ${token}`)
      .send({ email: 'by-key@example.test', role: 'viewer' })
      .expect(201);
    await request(inst.app)
      .post('/v1/invitations/accept')
      .send({ token: tokenOf(res.body.accept_url), name: 'K', password: NEW_PASSWORD })
      .expect(200);
    expect(logs.text()).not.toContain(tokenOf(res.body.accept_url));
    expect(logs.text()).not.toContain(NEW_PASSWORD);
  });
});
