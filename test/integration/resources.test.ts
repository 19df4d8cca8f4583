import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createAdmin, createOrg } from '../support/fixtures.js';
import { asPerson, createPerson, signIn } from '../support/people.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst.close();
});

const BILLING = {
  name: 'Billing API',
  audience: 'https://billing.example',
  scopes: [
    { name: 'billing:read', description: 'read invoices' },
    { name: 'billing:write', description: 'issue invoices' },
  ],
};
const ORDERS = { name: 'Orders API', audience: 'https://orders.example', scopes: [{ name: 'orders:read', description: 'read orders' }] };

async function adminOf() {
  const org = await createOrg(inst.deps);
  return { org, admin: await signIn(inst.app, await createPerson(inst.deps, org, 'admin')) };
}

describe('resources', () => {
  it("declares, lists, renames and deletes the org's APIs, and a developer reads the catalogue", async () => {
    const { org, admin } = await adminOf();
    const created = await request(inst.app).post('/v1/resources').set(asPerson(admin)).send(BILLING).expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^res_/),
      ...BILLING,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const dev = await signIn(inst.app, await createPerson(inst.deps, org, 'developer'));
    const list = await request(inst.app).get('/v1/resources').set('Cookie', dev.cookie).expect(200);
    expect(list.body.data).toEqual([created.body]);
    await request(inst.app).post('/v1/resources').set(asPerson(dev)).send(ORDERS).expect(403);
    const renamed = await request(inst.app)
      .patch(`/v1/resources/${created.body.id}`)
      .set(asPerson(admin))
      .send({ name: 'Billing' })
      .expect(200);
    expect(renamed.body.name).toBe('Billing');
    await request(inst.app).delete(`/v1/resources/${created.body.id}`).set(asPerson(admin)).expect(204);
    expect((await request(inst.app).get('/v1/resources').set('Cookie', dev.cookie)).body.data).toEqual([]);
  });

  it('refuses a second resource with the same audience, and a scope declared twice', async () => {
    const { admin } = await adminOf();
    await request(inst.app).post('/v1/resources').set(asPerson(admin)).send(BILLING).expect(201);
    await request(inst.app)
      .post('/v1/resources')
      .set(asPerson(admin))
      .send({ ...BILLING, name: 'again' })
      .expect(409);
    const twice = await request(inst.app)
      .post('/v1/resources')
      .set(asPerson(admin))
      .send({ ...ORDERS, scopes: [ORDERS.scopes[0], ORDERS.scopes[0]] })
      .expect(400);
    expect(twice.body).toEqual({ error: 'invalid_request', error_description: 'scope "orders:read" is declared twice' });
  });

  it('keeps free-form scopes and audiences for an org without resources', async () => {
    const { admin } = await adminOf();
    await request(inst.app)
      .post('/v1/keys')
      .set(asPerson(admin))
      .send({ name: 'free', scopes: ['anything:goes'], audiences: ['https://whatever.example'] })
      .expect(201);
  });

  it('checks keys against the catalogue once it exists: invalid_target and invalid_scope name the resource', async () => {
    const { admin } = await adminOf();
    await request(inst.app).post('/v1/resources').set(asPerson(admin)).send(BILLING).expect(201);
    await request(inst.app).post('/v1/resources').set(asPerson(admin)).send(ORDERS).expect(201);
    const badAudience = await request(inst.app)
      .post('/v1/keys')
      .set(asPerson(admin))
      .send({ name: 'k', scopes: ['billing:read'], audiences: ['https://elsewhere.example'] })
      .expect(400);
    expect(badAudience.body).toEqual({
      error: 'invalid_target',
      error_description: 'audience "https://elsewhere.example" is not one of this organisation\'s resources',
    });
    const noAudience = await request(inst.app)
      .post('/v1/keys')
      .set(asPerson(admin))
      .send({ name: 'k', scopes: ['billing:read'] })
      .expect(400);
    // No audience means the default one, here the management API's: outside the catalogue, declaring nothing.
    expect(noAudience.body).toEqual({
      error: 'invalid_scope',
      error_description: 'scope "billing:read" is not declared by any of the key\'s audiences (add the resource\'s audience)',
    });
    const badScope = await request(inst.app)
      .post('/v1/keys')
      .set(asPerson(admin))
      .send({ name: 'k', scopes: ['orders:read'], audiences: ['https://billing.example'] })
      .expect(400);
    expect(badScope.body).toEqual({
      error: 'invalid_scope',
      error_description: 'scope "orders:read" is not declared by resource "Billing API"',
    });
    const ok = await request(inst.app)
      .post('/v1/keys')
      .set(asPerson(admin))
      .send({ name: 'k', scopes: ['orders:read', 'billing:write'], audiences: ['https://billing.example', 'https://orders.example'] })
      .expect(201);
    const patched = await request(inst.app)
      .patch(`/v1/keys/${ok.body.id}`)
      .set(asPerson(admin))
      .send({ scopes: ['nope:never'] })
      .expect(400);
    expect(patched.body.error).toBe('invalid_scope');
  });

  it('refuses (409) deleting a resource, or removing a scope, that an active key uses; allows it once the key is revoked', async () => {
    const { admin } = await adminOf();
    const billing = await request(inst.app).post('/v1/resources').set(asPerson(admin)).send(BILLING).expect(201);
    const key = await request(inst.app)
      .post('/v1/keys')
      .set(asPerson(admin))
      .send({ name: 'k', scopes: ['billing:read'], audiences: ['https://billing.example'] })
      .expect(201);
    const refused = await request(inst.app).delete(`/v1/resources/${billing.body.id}`).set(asPerson(admin)).expect(409);
    expect(refused.body).toEqual({
      error: 'conflict',
      error_description: `resource "Billing API" is used by 1 active key(s), e.g. ${key.body.id}`,
    });
    await request(inst.app)
      .patch(`/v1/resources/${billing.body.id}`)
      .set(asPerson(admin))
      .send({ scopes: [BILLING.scopes[1]] })
      .expect(409);
    await request(inst.app)
      .patch(`/v1/resources/${billing.body.id}`)
      .set(asPerson(admin))
      .send({ scopes: [BILLING.scopes[0]] })
      .expect(200);
    await request(inst.app).post(`/v1/keys/${key.body.id}/revoke`).set(asPerson(admin)).expect(200);
    await request(inst.app).delete(`/v1/resources/${billing.body.id}`).set(asPerson(admin)).expect(204);
  });

  it("is confined to the caller's org, for tokens as for people", async () => {
    const { admin } = await adminOf();
    const theirs = await request(inst.app).post('/v1/resources').set(asPerson(admin)).send(BILLING).expect(201);
    const { token } = await createAdmin(inst.deps, inst.app, ['keys:read', 'resources:write']);
    expect((await request(inst.app).get('/v1/resources').set('Authorization', `Bearer ${token}`).expect(200)).body.data).toEqual([]);
    await request(inst.app).delete(`/v1/resources/${theirs.body.id}`).set('Authorization', `Bearer ${token}`).expect(404);
    const other = await adminOf();
    await request(inst.app).patch(`/v1/resources/${theirs.body.id}`).set(asPerson(other.admin)).send({ name: 'mine now' }).expect(404);
  });
});
