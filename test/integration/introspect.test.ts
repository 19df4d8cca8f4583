import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createKey, createOrg, exchange } from '../support/fixtures.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('POST /oauth/introspect', () => {
  let inst: TestInstance;
  beforeAll(async () => {
    inst = await createTestInstance();
  });
  afterAll(async () => inst.close());

  it('reports an active token of the caller org with its claims', async () => {
    const org = await createOrg(inst.deps);
    const caller = await createKey(inst.deps, org);
    const subject = await createKey(inst.deps, org, { scopes: ['a', 'b'] });
    const token = await exchange(inst.app, { org_id: subject.key.orgId, key_id: subject.key.id, secret: subject.secret, scope: 'a' });
    const res = await request(inst.app)
      .post('/oauth/introspect')
      .type('form')
      .send({ token, client_id: caller.key.id, client_secret: caller.secret })
      .expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      active: true,
      scope: 'a',
      client_id: subject.key.id,
      sub: subject.key.id,
      aud: 'https://auth.scope-auth.test',
      iss: 'https://auth.scope-auth.test',
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.any(String),
      token_type: 'Bearer',
      org_id: org.id,
      env: 'live',
    });
  });

  it("reports another org's token, garbage and an expired token as inactive", async () => {
    const mine = await createOrg(inst.deps);
    const theirs = await createOrg(inst.deps);
    const caller = await createKey(inst.deps, mine);
    const other = await createKey(inst.deps, theirs);
    const foreign = await exchange(inst.app, { org_id: other.key.orgId, key_id: other.key.id, secret: other.secret });
    for (const token of [foreign, 'not-a-jwt', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) {
      await request(inst.app)
        .post('/oauth/introspect')
        .set('Authorization', basic(caller.key.id, caller.secret))
        .type('form')
        .send({ token })
        .expect(200, { active: false });
    }
  });

  it('requires client authentication', async () => {
    await request(inst.app)
      .post('/oauth/introspect')
      .type('form')
      .send({ token: 'x' })
      .expect(401, { error: 'invalid_client', error_description: 'client authentication failed' });
    await request(inst.app).post('/oauth/introspect').set('Authorization', 'Bearer nonsense').type('form').send({ token: 'x' }).expect(401);
    await request(inst.app).post('/oauth/introspect').type('form').send({}).expect(400);
  });
});
