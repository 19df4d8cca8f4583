import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createAdmin, createOrg } from '../support/fixtures.js';
import { asPerson, createPerson, signIn, type SignedIn } from '../support/people.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst.close();
});

const patchOrg = (s: SignedIn, body: unknown) =>
  request(inst.app)
    .patch('/v1/org')
    .set(asPerson(s))
    .send(body as object);

describe('GET /v1/org', () => {
  it('answers any member, and any management token, with the org and its allowed SSO domains', async () => {
    const org = await createOrg(inst.deps, 'Read Me');
    const viewer = await signIn(inst.app, await createPerson(inst.deps, org, 'viewer'));
    const res = await request(inst.app).get('/v1/org').set('Cookie', viewer.cookie).expect(200);
    expect(res.body).toEqual({ id: org.id, name: 'Read Me', sso_domains: [], created_at: org.createdAt.toISOString() });
    const admin = await createAdmin(inst.deps, inst.app, ['keys:read']);
    const byKey = await request(inst.app).get('/v1/org').set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(byKey.body).toMatchObject({ id: admin.org.id, sso_domains: [] });
  });
});

describe('PATCH /v1/org', () => {
  it('lets an owner rename the org and set its SSO domains (lowercase hostnames, deduplicated), audited as org.updated', async () => {
    const org = await createOrg(inst.deps, 'Old Name');
    const owner = await signIn(inst.app, await createPerson(inst.deps, org, 'owner'));
    const res = await patchOrg(owner, { name: ' New Name ', sso_domains: ['example.com', 'eu.example.co.uk', 'example.com'] }).expect(200);
    expect(res.body).toMatchObject({ id: org.id, name: 'New Name', sso_domains: ['example.com', 'eu.example.co.uk'] });
    expect((await request(inst.app).get('/v1/org').set('Cookie', owner.cookie).expect(200)).body).toEqual(res.body);
    // Only what is sent changes.
    expect((await patchOrg(owner, { sso_domains: [] }).expect(200)).body).toMatchObject({ name: 'New Name', sso_domains: [] });
    const events = await inst.deps
      .db('audit_events')
      .where({ org_id: org.id, action: 'org.updated' })
      .orderBy('id')
      .select('actor_id', 'detail');
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      actor_id: owner.user.id,
      detail: { name: { from: 'Old Name', to: 'New Name' }, sso_domains: { from: [], to: ['example.com', 'eu.example.co.uk'] } },
    });
    expect(events[1].detail).not.toHaveProperty('name');
  });

  it('refuses wildcards, uppercase, ports, bare labels, more than 20 domains, unknown fields and an empty patch', async () => {
    const owner = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'owner'));
    const HOSTNAME = 'must be a lowercase hostname such as example.com (no wildcards)';
    for (const bad of [
      '*.example.com',
      'Example.com',
      'example.com:443',
      'localhost',
      'exa mple.com',
      '.example.com',
      'example.com.',
      'a'.repeat(64) + '.com',
    ]) {
      const res = await patchOrg(owner, { sso_domains: [bad] }).expect(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: `"sso_domains.0": ${HOSTNAME}` });
    }
    const many = Array.from({ length: 21 }, (_, i) => `d${i}.example`);
    expect((await patchOrg(owner, { sso_domains: many }).expect(400)).body.error_description).toMatch(/^"sso_domains": /);
    await patchOrg(owner, { sso_domains: many.slice(0, 20) }).expect(200);
    await patchOrg(owner, { sso_domains: 'example.com' }).expect(400);
    await patchOrg(owner, { name: '' }).expect(400);
    expect((await patchOrg(owner, { plan: 'gold' }).expect(400)).body.error_description).toBe('unknown field "plan"');
    expect((await patchOrg(owner, {}).expect(400)).body.error_description).toBe('"body": nothing to change');
  });

  it('is for owners only: admins get 403, and a management token cannot (no scope covers org settings)', async () => {
    const org = await createOrg(inst.deps);
    const admin = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    expect((await patchOrg(admin, { name: 'mine now' }).expect(403)).body).toEqual({
      error: 'forbidden',
      error_description: 'the admin role may not do this',
    });
    const key = await createAdmin(inst.deps, inst.app, ['keys:read', 'keys:write', 'audit:read']);
    await request(inst.app).patch('/v1/org').set('Authorization', `Bearer ${key.token}`).send({ name: 'x' }).expect(401);
    expect((await request(inst.app).get('/v1/org').set('Cookie', admin.cookie).expect(200)).body.name).toBe('test org');
  });
});

describe('signing keys over HTTP', () => {
  it('lists the public side of every signing key for an owner, with its state; never private material', async () => {
    const owner = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'owner'));
    const res = await request(inst.app).get('/v1/signing-keys').set('Cookie', owner.cookie).expect(200);
    const stored = await inst.deps.db('signing_keys').orderBy('activates_at').select('kid', 'alg');
    expect(res.body.data.map((k: { kid: string; alg: string }) => ({ kid: k.kid, alg: k.alg }))).toEqual(stored);
    for (const k of res.body.data) {
      expect(Object.keys(k).sort()).toEqual(['activates_at', 'alg', 'created_at', 'kid', 'retired_at', 'state']);
      expect(['pending', 'active', 'retired']).toContain(k.state);
    }
    expect(res.body.data.filter((k: { state: string }) => k.state === 'active').length).toBeGreaterThan(0);
    expect(JSON.stringify(res.body)).not.toMatch(/private|"d"/);
  });

  it('rotates for an owner: the new key is published (JWKS) and pending, the current one keeps signing; audited', async () => {
    const org = await createOrg(inst.deps);
    const owner = await signIn(inst.app, await createPerson(inst.deps, org, 'owner'));
    const res = await request(inst.app).post('/v1/signing-keys/rotate').set(asPerson(owner)).expect(201);
    expect(res.body).toMatchObject({ kid: expect.any(String), state: 'pending', retired_at: null });
    expect(new Date(res.body.activates_at as string).getTime()).toBeGreaterThan(Date.now());
    const jwks = await request(inst.app).get('/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(res.body.kid);
    const listed = await request(inst.app).get('/v1/signing-keys').set('Cookie', owner.cookie).expect(200);
    expect(listed.body.data.at(-1)).toEqual(res.body);
    const event = await inst.deps.db('audit_events').where({ org_id: org.id, action: 'signing_key.rotated' }).first();
    expect(event).toMatchObject({ actor_id: owner.user.id, target_type: 'signing_key', target_id: res.body.kid });
  });

  it('refuses admins (403) and management tokens (401: session only)', async () => {
    const org = await createOrg(inst.deps);
    const admin = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    await request(inst.app).get('/v1/signing-keys').set('Cookie', admin.cookie).expect(403);
    await request(inst.app).post('/v1/signing-keys/rotate').set(asPerson(admin)).expect(403);
    const key = await createAdmin(inst.deps, inst.app);
    await request(inst.app).get('/v1/signing-keys').set('Authorization', `Bearer ${key.token}`).expect(401);
  });
});
