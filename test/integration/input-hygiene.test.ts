import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createAdmin, createKey } from '../support/fixtures.js';

let inst: TestInstance;
let token: string;
let keyId: string;
beforeAll(async () => {
  inst = await createTestInstance();
  const admin = await createAdmin(inst.deps, inst.app);
  token = admin.token;
  keyId = (await createKey(inst.deps, admin.org)).key.id;
});
afterAll(async () => inst.close());

const auth = () => ({ Authorization: `Bearer ${token}` });
// JSON text with the escape itself in it: JSON.parse turns it into the raw character.
const BAD = [
  ['a NUL byte', '\\u0000'],
  ['a lone high surrogate', '\\ud800'],
  ['a lone low surrogate', '\\udc00'],
] as const;
const unsafe = (field: string) => ({
  error: 'invalid_request',
  error_description: `"${field}": must not contain NUL or unpaired surrogate characters`,
});

describe('free text with characters Postgres cannot store', () => {
  describe.each(BAD)('%s', (_what, escape) => {
    it.each(['name', 'description'])('POST /v1/keys refuses it in "%s" with 400', async (field) => {
      const body = field === 'name' ? `{"name":"a${escape}b"}` : `{"name":"ok","description":"a${escape}b"}`;
      await request(inst.app).post('/v1/keys').set(auth()).set('Content-Type', 'application/json').send(body).expect(400, unsafe(field));
    });

    it.each(['name', 'description'])('PATCH /v1/keys/:id refuses it in "%s" with 400', async (field) => {
      await request(inst.app)
        .patch(`/v1/keys/${keyId}`)
        .set(auth())
        .set('Content-Type', 'application/json')
        .send(`{"${field}":"a${escape}b"}`)
        .expect(400, unsafe(field));
    });

    it('POST /v1/keys/:id/revoke refuses it in "reason" with 400 (and does not revoke)', async () => {
      await request(inst.app)
        .post(`/v1/keys/${keyId}/revoke`)
        .set(auth())
        .set('Content-Type', 'application/json')
        .send(`{"reason":"a${escape}b"}`)
        .expect(400, unsafe('reason'));
      const key = await request(inst.app).get(`/v1/keys/${keyId}`).set(auth()).expect(200);
      expect(key.body.status).toBe('active');
    });
  });

  it('still accepts any well-formed text, emoji included', async () => {
    const res = await request(inst.app)
      .post('/v1/keys')
      .set(auth())
      .set('Content-Type', 'application/json')
      .send('{"name":"caf\\u00e9 \\ud83d\\ude00","description":"line\\nbreak \\u2028 ok"}')
      .expect(201);
    expect(res.body).toMatchObject({ name: 'café 😀', description: 'line\nbreak \u2028 ok' });
  });
});

describe('GET /v1/audit-events?key_id=', () => {
  it.each([
    ['a NUL byte', 'key_%00'],
    ['an encoded surrogate (invalid UTF-8)', 'key_%ED%A0%80'],
    ['something that is not a key ID', 'not-a-key'],
    ['a secret', 'sk_live_0123456789abcdefghijABCDEFGHIJ'],
  ])('refuses %s with 400', async (_what, value) => {
    await request(inst.app)
      .get(`/v1/audit-events?key_id=${value}`)
      .set(auth())
      .expect(400, { error: 'invalid_request', error_description: '"key_id": must be a key ID (key_ followed by a ULID)' });
  });

  it('accepts a key ID', async () => {
    await request(inst.app).get(`/v1/audit-events?key_id=${keyId}`).set(auth()).expect(200);
  });
});
