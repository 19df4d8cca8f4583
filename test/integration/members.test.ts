import request from 'supertest';
import { bootstrapOrganisation } from '../../src/domain/organisations.js';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createOrg, exchange } from '../support/fixtures.js';
import { asPerson, createPerson, signIn, type SignedIn } from '../support/people.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst.close();
});

/** A key made through the API by a signed-in person, with its secret. */
async function keyOf(s: SignedIn, scopes: string[] = ['read']) {
  const res = await request(inst.app).post('/v1/keys').set(asPerson(s)).send({ name: 'mine', scopes }).expect(201);
  return res.body as { id: string; org_id: string; secret: string; owner: unknown };
}

describe('GET /v1/members', () => {
  it("lists the members of the caller's organisation with their roles, and no password", async () => {
    const org = await createOrg(inst.deps);
    const owner = await createPerson(inst.deps, org, 'owner', 'Olga');
    const viewer = await createPerson(inst.deps, org, 'viewer', 'Vik');
    await createPerson(inst.deps, await createOrg(inst.deps), 'admin'); // another org's
    const res = await request(inst.app)
      .get('/v1/members')
      .set('Cookie', (await signIn(inst.app, viewer)).cookie)
      .expect(200);
    expect(res.body.data).toEqual([
      { user_id: owner.id, email: owner.email, name: 'Olga', role: 'owner', joined_at: expect.any(String) },
      { user_id: viewer.id, email: viewer.email, name: 'Vik', role: 'viewer', joined_at: expect.any(String) },
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/argon|password/i);
  });
});

describe('PATCH /v1/members/:user_id', () => {
  it('lets an owner change any role and audits it with the person as actor', async () => {
    const org = await createOrg(inst.deps);
    const owner = await signIn(inst.app, await createPerson(inst.deps, org, 'owner'));
    const dev = await createPerson(inst.deps, org, 'developer');
    const res = await request(inst.app).patch(`/v1/members/${dev.id}`).set(asPerson(owner)).send({ role: 'owner' }).expect(200);
    expect(res.body).toEqual({ user_id: dev.id, role: 'owner', revoked_keys: [] });
    const event = await inst.deps.db('audit_events').where({ org_id: org.id, action: 'member.role_changed' }).first();
    expect(event).toMatchObject({
      actor_type: 'user',
      actor_id: owner.user.id,
      target_type: 'user',
      target_id: dev.id,
      detail: { from: 'developer', to: 'owner', actor_email: owner.user.email },
    });
  });

  it('refuses an admin touching an owner or making one (403 forbidden)', async () => {
    const org = await createOrg(inst.deps);
    const ownerUser = await createPerson(inst.deps, org, 'owner');
    const admin = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    const dev = await createPerson(inst.deps, org, 'developer');
    for (const [id, role] of [
      [ownerUser.id, 'viewer'],
      [dev.id, 'owner'],
    ] as const) {
      const res = await request(inst.app).patch(`/v1/members/${id}`).set(asPerson(admin)).send({ role }).expect(403);
      expect(res.body).toEqual({ error: 'forbidden', error_description: 'only an owner may change or remove an owner, or make one' });
    }
    await request(inst.app).delete(`/v1/members/${ownerUser.id}`).set(asPerson(admin)).expect(403);
    await request(inst.app).patch(`/v1/members/${dev.id}`).set(asPerson(admin)).send({ role: 'admin' }).expect(200);
  });

  it('never demotes or removes the last owner (409), but does once there is another', async () => {
    const org = await createOrg(inst.deps);
    const owner = await signIn(inst.app, await createPerson(inst.deps, org, 'owner'));
    const demote = await request(inst.app).patch(`/v1/members/${owner.user.id}`).set(asPerson(owner)).send({ role: 'admin' }).expect(409);
    expect(demote.body).toEqual({ error: 'conflict', error_description: 'the last owner cannot be demoted; make another owner first' });
    await request(inst.app).delete(`/v1/members/${owner.user.id}`).set(asPerson(owner)).expect(409);
    // Ownership transfer: make another owner, then step down.
    const next = await createPerson(inst.deps, org, 'admin');
    await request(inst.app).patch(`/v1/members/${next.id}`).set(asPerson(owner)).send({ role: 'owner' }).expect(200);
    await request(inst.app).patch(`/v1/members/${owner.user.id}`).set(asPerson(owner)).send({ role: 'admin' }).expect(200);
    expect(await inst.deps.db('memberships').where({ org_id: org.id, role: 'owner' }).pluck('user_id')).toEqual([next.id]);
  });

  it('revokes the keys a demotion leaves beyond the new role (owner_demoted), and refuses their exchanges at once', async () => {
    const org = await createOrg(inst.deps);
    const owner = await signIn(inst.app, await createPerson(inst.deps, org, 'owner'));
    const admin = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    const managing = await keyOf(admin, ['keys:read', 'orders:read']);
    const plain = await keyOf(admin, ['orders:read']);
    const res = await request(inst.app).patch(`/v1/members/${admin.user.id}`).set(asPerson(owner)).send({ role: 'developer' }).expect(200);
    expect(res.body.revoked_keys).toEqual([managing.id]);
    expect(await inst.deps.db('api_keys').where({ id: managing.id }).first()).toMatchObject({
      revoke_reason: 'owner_demoted',
      revoked_by: owner.user.id,
    });
    await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: managing.id, secret: managing.secret }).expect(401);
    await exchange(inst.app, { org_id: org.id, key_id: plain.id, secret: plain.secret });
    // Down to viewer: no keys at all.
    const again = await request(inst.app).patch(`/v1/members/${admin.user.id}`).set(asPerson(owner)).send({ role: 'viewer' }).expect(200);
    expect(again.body.revoked_keys).toEqual([plain.id]);
    const audited = await inst.deps.db('audit_events').where({ org_id: org.id, action: 'key.revoked' }).orderBy('id').pluck('target_id');
    expect(audited).toEqual([managing.id, plain.id]);
  });
});

describe('DELETE /v1/members/:user_id', () => {
  it('removes a member: their sessions in the org end and their keys are revoked (owner_removed)', async () => {
    const org = await createOrg(inst.deps);
    const admin = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    const dev = await signIn(inst.app, await createPerson(inst.deps, org, 'developer'));
    const key = await keyOf(dev);
    await request(inst.app).delete(`/v1/members/${dev.user.id}`).set(asPerson(admin)).expect(204);
    await request(inst.app).get('/v1/me').set('Cookie', dev.cookie).expect(401);
    expect(await inst.deps.db('api_keys').where({ id: key.id }).first()).toMatchObject({ revoke_reason: 'owner_removed' });
    await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: key.id, secret: key.secret }).expect(401);
    const removed = await inst.deps.db('audit_events').where({ org_id: org.id, action: 'member.removed' }).first();
    expect(removed).toMatchObject({ actor_type: 'user', actor_id: admin.user.id, target_id: dev.user.id });
  });

  it("answers 404 for another organisation's member, and leaves them be", async () => {
    const admin = await signIn(inst.app, await createPerson(inst.deps, await createOrg(inst.deps), 'admin'));
    const stranger = await createPerson(inst.deps, await createOrg(inst.deps), 'developer');
    const res = await request(inst.app).delete(`/v1/members/${stranger.id}`).set(asPerson(admin)).expect(404);
    expect(res.body).toEqual({ error: 'not_found', error_description: `member ${stranger.id} not found` });
    await request(inst.app).patch(`/v1/members/${stranger.id}`).set(asPerson(admin)).send({ role: 'viewer' }).expect(404);
    expect(await inst.deps.db('memberships').where({ user_id: stranger.id })).toMatchObject([{ role: 'developer' }]);
  });
});

describe('keys belong to people', () => {
  it('records the owner of a key a person makes; a developer sees and manages only their own', async () => {
    const org = await createOrg(inst.deps);
    const dev = await signIn(inst.app, await createPerson(inst.deps, org, 'developer'));
    const other = await signIn(inst.app, await createPerson(inst.deps, org, 'developer'));
    const admin = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    const mine = await keyOf(dev);
    const theirs = await keyOf(other);
    expect(mine.owner).toEqual({ type: 'user', id: dev.user.id, email: dev.user.email });
    const list = await request(inst.app).get('/v1/keys').set('Cookie', dev.cookie).expect(200);
    expect(list.body.data.map((k: { id: string }) => k.id)).toEqual([mine.id]);
    await request(inst.app).get(`/v1/keys/${theirs.id}`).set('Cookie', dev.cookie).expect(404);
    await request(inst.app).post(`/v1/keys/${theirs.id}/revoke`).set(asPerson(dev)).expect(404);
    await request(inst.app).patch(`/v1/keys/${theirs.id}`).set(asPerson(dev)).send({ name: 'x' }).expect(404);
    await request(inst.app).post(`/v1/keys/${theirs.id}/rotate`).set(asPerson(dev)).expect(404);
    expect(await inst.deps.db('api_keys').where({ id: theirs.id }).first()).toMatchObject({
      revoked_at: null,
      name: 'mine',
      replaced_by: null,
    });
    await request(inst.app).get(`/v1/keys?owner=${other.user.id}`).set('Cookie', dev.cookie).expect(200, { data: [], next_cursor: null });
    // Admins see every key, and filter by owner.
    const all = await request(inst.app).get('/v1/keys').set('Cookie', admin.cookie).expect(200);
    expect(all.body.data.map((k: { id: string }) => k.id).sort()).toEqual([mine.id, theirs.id].sort());
    const filtered = await request(inst.app).get(`/v1/keys?owner=${other.user.id}`).set('Cookie', admin.cookie).expect(200);
    expect(filtered.body.data.map((k: { id: string }) => k.id)).toEqual([theirs.id]);
    await request(inst.app).post(`/v1/keys/${theirs.id}/revoke`).set(asPerson(admin)).expect(200);
  });

  it("never gives a key more than its owner's role allows, whoever asks", async () => {
    const org = await createOrg(inst.deps);
    const dev = await signIn(inst.app, await createPerson(inst.deps, org, 'developer'));
    const admin = await signIn(inst.app, await createPerson(inst.deps, org, 'admin'));
    const res = await request(inst.app)
      .post('/v1/keys')
      .set(asPerson(dev))
      .send({ name: 'sneaky', scopes: ['keys:write'] })
      .expect(403);
    expect(res.body).toEqual({ error: 'forbidden', error_description: 'a key owned by a developer cannot hold scope "keys:write"' });
    const key = await keyOf(dev);
    const patch = await request(inst.app)
      .patch(`/v1/keys/${key.id}`)
      .set(asPerson(admin))
      .send({ scopes: ['read', 'audit:read'] })
      .expect(403);
    expect(patch.body.error_description).toBe('the key\'s owner (developer) may not hold scope "audit:read"');
  });

  it('shows owner.type "key" for keys made by a key', async () => {
    const org = await createOrg(inst.deps);
    const owner = await signIn(inst.app, await createPerson(inst.deps, org, 'owner'));
    const admin = await keyOf(owner, ['keys:read', 'keys:write']);
    const token = await exchange(inst.app, { org_id: org.id, key_id: admin.id, secret: admin.secret });
    const res = await request(inst.app).post('/v1/keys').set('Authorization', `Bearer ${token}`).send({ name: 'by a key' }).expect(201);
    expect(res.body.owner).toEqual({ type: 'key', id: admin.id });
  });

  it('shows owner null for keys the CLI made (DESIGN.md names only people and keys as owners)', async () => {
    const { org, key, secret } = await bootstrapOrganisation(inst.deps, 'by the CLI', { type: 'cli', id: null });
    const token = await exchange(inst.app, { org_id: org.id, key_id: key.id, secret });
    const res = await request(inst.app).get(`/v1/keys/${key.id}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body).toMatchObject({ created_by: 'cli', owner: null });
  });
});

describe('POST /v1/members/:user_id/transfer-ownership', () => {
  it('makes the member an owner and the owner an admin in one step, audited; the old owner no longer manages owners', async () => {
    const org = await createOrg(inst.deps);
    const owner = await signIn(inst.app, await createPerson(inst.deps, org, 'owner'));
    const admin = await createPerson(inst.deps, org, 'admin');
    const res = await request(inst.app).post(`/v1/members/${admin.id}/transfer-ownership`).set(asPerson(owner)).expect(200);
    expect(res.body).toEqual({ owner: admin.id, you: 'admin', revoked_keys: [] });

    const roles = await request(inst.app).get('/v1/members').set(asPerson(owner)).expect(200);
    expect(Object.fromEntries(roles.body.data.map((m: { user_id: string; role: string }) => [m.user_id, m.role]))).toEqual({
      [owner.user.id]: 'admin',
      [admin.id]: 'owner',
    });
    const event = await inst.deps.db('audit_events').where({ org_id: org.id, action: 'org.ownership_transferred' }).first();
    expect(event).toMatchObject({
      actor_id: owner.user.id,
      target_id: admin.id,
      detail: { from: owner.user.id, to: admin.id, previous_role: 'admin' },
    });
    // The same session now acts as an admin: no second transfer, no touching the new owner.
    await request(inst.app).post(`/v1/members/${admin.id}/transfer-ownership`).set(asPerson(owner)).expect(403);
    await request(inst.app).patch(`/v1/members/${admin.id}`).set(asPerson(owner)).send({ role: 'viewer' }).expect(403);
  });

  it("refuses oneself (409), another org's member or an unknown ID (404), and a Bearer token (session only)", async () => {
    const org = await createOrg(inst.deps);
    const owner = await signIn(inst.app, await createPerson(inst.deps, org, 'owner'));
    const stranger = await createPerson(inst.deps, await createOrg(inst.deps), 'developer');
    const self = await request(inst.app).post(`/v1/members/${owner.user.id}/transfer-ownership`).set(asPerson(owner)).expect(409);
    expect(self.body.error).toBe('conflict');
    await request(inst.app).post(`/v1/members/${stranger.id}/transfer-ownership`).set(asPerson(owner)).expect(404);
    await request(inst.app).post('/v1/members/usr_nope/transfer-ownership').set(asPerson(owner)).expect(404);
    const { key, secret } = await bootstrapOrganisation(inst.deps, 'token org', { type: 'cli', id: null });
    const token = await exchange(inst.app, { client_id: key.id, client_secret: secret });
    await request(inst.app).post(`/v1/members/${stranger.id}/transfer-ownership`).set('Authorization', `Bearer ${token}`).expect(401);
  });
});
