import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { createTestInstance } from '../support/app.js';
import { auth, createAdmin, createKey, exchange } from '../support/fixtures.js';

describe('rotation with a grace period', () => {
  it('keeps the old key working until the period ends, then refuses it', async () => {
    const clock = fakeClock();
    const inst = await createTestInstance({ clock });
    try {
      const { org, token } = await createAdmin(inst.deps, inst.app);
      const { key, secret } = await createKey(inst.deps, org, { scopes: ['orders:read'], audiences: ['https://orders.example'] });
      const res = await request(inst.app)
        .post(`/v1/keys/${key.id}/rotate`)
        .set(auth(token))
        .send({ grace_period_seconds: 3600 })
        .expect(201);
      expect(res.body).toMatchObject({
        scopes: ['orders:read'],
        audiences: ['https://orders.example'],
        status: 'active',
        secret: expect.stringMatching(/^sk_live_/),
      });
      expect(res.body.previous_key).toMatchObject({ id: key.id, status: 'active', replaced_by: res.body.id, revoked_at: null });

      // Rotating the old key again is refused: the replacement is what rotates next.
      await request(inst.app).post(`/v1/keys/${key.id}/rotate`).set(auth(token)).expect(409);

      clock.advance(3599_000);
      await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(200);
      clock.advance(2_000);
      await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
      await request(inst.app).post('/v1/token').send({ org_id: res.body.org_id, key_id: res.body.id, secret: res.body.secret }).expect(200);

      const stored = await inst.deps.db('api_keys').where({ id: key.id }).first();
      expect(stored).toMatchObject({ replaced_by: res.body.id, revoked_at: null });
    } finally {
      await inst.close();
    }
  });

  it('expires the old key at once without a grace period; its tokens live out their lifetime', async () => {
    const inst = await createTestInstance();
    try {
      const { org, token } = await createAdmin(inst.deps, inst.app);
      const { key, secret } = await createKey(inst.deps, org);
      const issued = await exchange(inst.app, { org_id: key.orgId, key_id: key.id, secret });
      const res = await request(inst.app).post(`/v1/keys/${key.id}/rotate`).set(auth(token)).expect(201);
      expect(res.body.previous_key).toMatchObject({ status: 'expired', revoked_at: null, replaced_by: res.body.id });
      expect(Date.parse(res.body.previous_key.expires_at)).toBeLessThanOrEqual(Date.now());
      await request(inst.app).post('/v1/token').send({ org_id: key.orgId, key_id: key.id, secret }).expect(401);
      await request(inst.app).post('/v1/token').send({ org_id: res.body.org_id, key_id: res.body.id, secret: res.body.secret }).expect(200);
      // Expiry, not revocation: no revocation entry, and the token issued before still introspects active.
      const list = await request(inst.app).get('/v1/revocations').expect(200);
      expect(JSON.stringify(list.body)).not.toContain(key.id);
      const introspected = await request(inst.app)
        .post('/oauth/introspect')
        .set(auth(token))
        .type('form')
        .send({ token: issued })
        .expect(200);
      expect(introspected.body).toMatchObject({ active: true, client_id: key.id });
      await request(inst.app).post(`/v1/keys/${key.id}/rotate`).set(auth(token)).expect(409);
    } finally {
      await inst.close();
    }
  });
});
