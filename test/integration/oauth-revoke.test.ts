import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { auth, createAdmin, createKey, createOrg, exchange } from '../support/fixtures.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('POST /oauth/revoke (RFC 7009)', () => {
  let inst: TestInstance;
  beforeAll(async () => {
    inst = await createTestInstance();
  });
  afterAll(async () => inst.close());

  it('revokes a single token by jti for the key it was issued to, leaving the key working', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    const token = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    const sibling = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    await request(inst.app)
      .post('/oauth/revoke')
      .set('Authorization', basic(key.id, secret))
      .type('form')
      .send({ token, token_type_hint: 'access_token' })
      .expect(200, '');

    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti;
    const feed = await request(inst.app).get('/v1/revocations').expect(200);
    expect(feed.body.revocations).toContainEqual(expect.objectContaining({ type: 'token', jti, key_id: key.id }));
    await request(inst.app)
      .post('/oauth/introspect')
      .set('Authorization', basic(key.id, secret))
      .type('form')
      .send({ token })
      .expect(200, { active: false });
    const still = await request(inst.app)
      .post('/oauth/introspect')
      .set('Authorization', basic(key.id, secret))
      .type('form')
      .send({ token: sibling })
      .expect(200);
    expect(still.body.active).toBe(true);
    // Repeating it, or revoking garbage, is still 200.
    await request(inst.app).post('/oauth/revoke').set('Authorization', basic(key.id, secret)).type('form').send({ token }).expect(200);
    await request(inst.app)
      .post('/oauth/revoke')
      .set('Authorization', basic(key.id, secret))
      .type('form')
      .send({ token: 'garbage' })
      .expect(200);
  });

  it("lets an org admin revoke any of its org's tokens, but no one else's", async () => {
    const { org, token: adminToken } = await createAdmin(inst.deps, inst.app);
    const { key, secret } = await createKey(inst.deps, org);
    const token = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
    const stranger = await createKey(inst.deps, await createOrg(inst.deps));
    // RFC 7009 §2.2: another org's token is answered like garbage (200), and left alone.
    await request(inst.app)
      .post('/oauth/revoke')
      .set('Authorization', basic(stranger.key.id, stranger.secret))
      .type('form')
      .send({ token })
      .expect(200, '');
    expect(
      (await request(inst.app).post('/oauth/introspect').set(auth(adminToken)).type('form').send({ token }).expect(200)).body.active,
    ).toBe(true);
    await request(inst.app).post('/oauth/revoke').set(auth(adminToken)).type('form').send({ token }).expect(200);
    await request(inst.app).post('/oauth/introspect').set(auth(adminToken)).type('form').send({ token }).expect(200, { active: false });
  });

  it('refuses a bearer caller without keys:write', async () => {
    const org = await createOrg(inst.deps);
    const reader = await createKey(inst.deps, org, { scopes: ['keys:read'] });
    const readerToken = await exchange(inst.app, { org_id: reader.key.orgId, key_id: reader.key.id, secret: reader.secret });
    const res = await request(inst.app).post('/oauth/revoke').set(auth(readerToken)).type('form').send({ token: readerToken });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('insufficient_scope');
  });
});
