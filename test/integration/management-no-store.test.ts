import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createAdmin, createKey } from '../support/fixtures.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => inst.close());

describe('management answers are never cached (Cache-Control: no-store)', () => {
  it('on every read and on every change that answers with key data', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const { key } = await createKey(inst.deps, org);
    const auth = { Authorization: `Bearer ${token}` };
    const responses = {
      'GET /v1/keys': await request(inst.app).get('/v1/keys').set(auth).expect(200),
      'GET /v1/keys/:id': await request(inst.app).get(`/v1/keys/${key.id}`).set(auth).expect(200),
      'GET /v1/audit-events': await request(inst.app).get('/v1/audit-events').set(auth).expect(200),
      'PATCH /v1/keys/:id': await request(inst.app).patch(`/v1/keys/${key.id}`).set(auth).send({ name: 'renamed' }).expect(200),
      'POST /v1/keys/:id/revoke': await request(inst.app).post(`/v1/keys/${key.id}/revoke`).set(auth).send({}).expect(200),
      'GET /v1/keys (refused)': await request(inst.app).get('/v1/keys').expect(401),
    };
    const headers = Object.fromEntries(Object.entries(responses).map(([call, res]) => [call, res.headers['cache-control']]));
    expect(headers).toEqual(Object.fromEntries(Object.keys(responses).map((call) => [call, 'no-store'])));
  });
});
