import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createAdmin } from '../support/fixtures.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance({ env: { TRUST_PROXY: 'true' } });
});
afterAll(async () => inst.close());

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });

describe('per-key IP allowlist', () => {
  it('admits exchanges from inside the CIDRs only, auditing the refusal', async () => {
    const { token } = await createAdmin(inst.deps, inst.app);
    const created = await request(inst.app)
      .post('/v1/keys')
      .set(auth(token))
      .send({ name: 'office only', allowed_cidrs: ['203.0.113.0/24', '2001:db8:10::/48'] })
      .expect(201);
    expect(created.body.allowed_cidrs).toEqual(['203.0.113.0/24', '2001:db8:10::/48']);
    const body = { org_id: created.body.org_id, key_id: created.body.id, secret: created.body.secret };

    await request(inst.app).post('/v1/token').set('X-Forwarded-For', '203.0.113.7').send(body).expect(200);
    await request(inst.app).post('/v1/token').set('X-Forwarded-For', '2001:db8:10::5').send(body).expect(200);
    await request(inst.app)
      .post('/v1/token')
      .set('X-Forwarded-For', '198.51.100.7')
      .send(body)
      .expect(401, { error: 'invalid_client', error_description: 'client authentication failed' });
    await request(inst.app).post('/v1/token').set('X-Forwarded-For', '2001:db8:11::5').send(body).expect(401);

    await inst.deps.audit.flush();
    const events = await request(inst.app)
      .get('/v1/audit-events')
      .query({ action: 'exchange.rejected', key_id: created.body.id })
      .set(auth(token))
      .expect(200);
    expect(events.body.data.map((e: { detail: { reason: string }; ip: string }) => [e.detail.reason, e.ip])).toEqual([
      ['ip_not_allowed', '2001:db8:11::5'],
      ['ip_not_allowed', '198.51.100.7'],
    ]);
  });

  it('applies a changed allowlist to the very next exchange, and an empty one admits anyone', async () => {
    const { token } = await createAdmin(inst.deps, inst.app);
    const created = await request(inst.app).post('/v1/keys').set(auth(token)).send({ name: 'k' }).expect(201);
    const body = { org_id: created.body.org_id, key_id: created.body.id, secret: created.body.secret };
    await request(inst.app).post('/v1/token').set('X-Forwarded-For', '198.51.100.7').send(body).expect(200);
    await request(inst.app)
      .patch(`/v1/keys/${created.body.id}`)
      .set(auth(token))
      .send({ allowed_cidrs: ['10.0.0.0/8'] })
      .expect(200);
    await request(inst.app).post('/v1/token').set('X-Forwarded-For', '198.51.100.7').send(body).expect(401);
    await request(inst.app).post('/v1/token').set('X-Forwarded-For', '10.1.2.3').send(body).expect(200);
    await request(inst.app).patch(`/v1/keys/${created.body.id}`).set(auth(token)).send({ allowed_cidrs: [] }).expect(200);
    await request(inst.app).post('/v1/token').set('X-Forwarded-For', '198.51.100.7').send(body).expect(200);
  });
});

describe('TRUST_PROXY', () => {
  it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
    const direct = await createTestInstance({ env: { TRUST_PROXY: 'false' } });
    try {
      const { token } = await createAdmin(direct.deps, direct.app);
      const created = await request(direct.app)
        .post('/v1/keys')
        .set(auth(token))
        .send({ name: 'k', allowed_cidrs: ['203.0.113.0/24'] })
        .expect(201);
      // A spoofed header does not get a caller inside the allowlist.
      await request(direct.app)
        .post('/v1/token')
        .set('X-Forwarded-For', '203.0.113.7')
        .send({ org_id: created.body.org_id, key_id: created.body.id, secret: created.body.secret })
        .expect(401);
      // The socket's address is what counts, whatever the header says.
      const local = await request(direct.app)
        .post('/v1/keys')
        .set(auth(token))
        .send({ name: 'local', allowed_cidrs: ['127.0.0.0/8', '::1/128'] })
        .expect(201);
      await request(direct.app)
        .post('/v1/token')
        .set('X-Forwarded-For', '203.0.113.7')
        .send({ org_id: local.body.org_id, key_id: local.body.id, secret: local.body.secret })
        .expect(200);
    } finally {
      await direct.close();
    }
  });
});

describe('CORS', () => {
  it('is off unless configured, and then only for the listed origins on public documents', async () => {
    const off = await request(inst.app).get('/.well-known/jwks.json').set('Origin', 'https://app.example');
    expect(off.headers['access-control-allow-origin']).toBeUndefined();

    const withCors = await createTestInstance({ env: { CORS_ORIGINS: 'https://app.example' } });
    try {
      const ok = await request(withCors.app).get('/.well-known/jwks.json').set('Origin', 'https://app.example').expect(200);
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
      const pre = await request(withCors.app).options('/v1/revocations').set('Origin', 'https://app.example').expect(204);
      expect(pre.headers['access-control-allow-methods']).toBe('GET');
      const other = await request(withCors.app).get('/.well-known/jwks.json').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const token = await request(withCors.app).post('/v1/token').set('Origin', 'https://app.example').send({});
      expect(token.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await withCors.close();
    }
  });
});
