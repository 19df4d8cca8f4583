import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { auth, createAdmin, exchange } from '../support/fixtures.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => {
  await inst.close();
});

describe('GET /v1/audit-events', () => {
  it('records each management action with actor, target, IP, user agent and time, never a secret', async () => {
    const { org, key: admin, token } = await createAdmin(inst.deps, inst.app);
    const created = await request(inst.app)
      .post('/v1/keys')
      .set(auth(token))
      .set('User-Agent', 'ops-console/2')
      .send({ name: 'k' })
      .expect(201);
    const id = created.body.id as string;
    await request(inst.app).patch(`/v1/keys/${id}`).set(auth(token)).send({ name: 'k2' }).expect(200);
    const rotated = await request(inst.app).post(`/v1/keys/${id}/rotate`).set(auth(token)).send({ grace_period_seconds: 60 }).expect(201);
    await request(inst.app).post(`/v1/keys/${rotated.body.id}/revoke`).set(auth(token)).send({ reason: 'done' }).expect(200);
    await request(inst.app)
      .post('/v1/token')
      .send({ org_id: rotated.body.org_id, key_id: rotated.body.id, secret: rotated.body.secret })
      .expect(401);
    await inst.deps.audit.flush();

    const res = await request(inst.app).get('/v1/audit-events').query({ limit: 100 }).set(auth(token)).expect(200);
    const actions = res.body.data.map(
      (e: { action: string; target: { id: string } | null }) =>
        `${e.action}:${e.target?.id === id ? 'old' : e.target?.id === rotated.body.id ? 'new' : 'other'}`,
    );
    expect(actions).toEqual([
      'exchange.rejected:new',
      'key.revoked:new',
      'key.created:new',
      'key.rotated:old',
      'key.updated:old',
      'key.created:old',
    ]);
    const createdEvent = res.body.data.at(-1);
    expect(createdEvent).toMatchObject({
      org_id: org.id,
      actor: { type: 'key', id: admin.id },
      target: { type: 'key', id },
      user_agent: 'ops-console/2',
      ip: expect.stringMatching(/127\.0\.0\.1/),
      request_id: expect.any(String),
      created_at: expect.any(String),
    });
    expect(res.body.data[0].detail).toEqual({ reason: 'revoked' });
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(created.body.secret);
    expect(text).not.toContain(rotated.body.secret);

    const filtered = await request(inst.app)
      .get('/v1/audit-events')
      .query({ key_id: id, action: 'key.updated' })
      .set(auth(token))
      .expect(200);
    expect(filtered.body.data.map((e: { action: string }) => e.action)).toEqual(['key.updated']);
    const future = await request(inst.app).get('/v1/audit-events').query({ since: '2999-01-01T00:00:00Z' }).set(auth(token)).expect(200);
    expect(future.body.data).toEqual([]);
    const paged = await request(inst.app).get('/v1/audit-events').query({ limit: 4 }).set(auth(token)).expect(200);
    const rest = await request(inst.app)
      .get('/v1/audit-events')
      .query({ limit: 4, cursor: paged.body.next_cursor })
      .set(auth(token))
      .expect(200);
    expect([...paged.body.data, ...rest.body.data].map((e: { id: string }) => e.id)).toEqual(
      res.body.data.map((e: { id: string }) => e.id),
    );
    expect(rest.body.next_cursor).toBeNull();
  });

  it('filters by action, actor, key_id, from and to, together and with paging', async () => {
    const { key: admin, token } = await createAdmin(inst.deps, inst.app);
    const other = await request(inst.app)
      .post('/v1/keys')
      .set(auth(token))
      .send({ name: 'second admin', scopes: ['keys:write'] })
      .expect(201);
    const otherToken = await exchange(inst.app, { org_id: other.body.org_id, key_id: other.body.id, secret: other.body.secret });
    const a = await request(inst.app).post('/v1/keys').set(auth(token)).send({ name: 'a' }).expect(201);
    const b = await request(inst.app).post('/v1/keys').set(auth(otherToken)).send({ name: 'b' }).expect(201);
    await request(inst.app).post(`/v1/keys/${a.body.id}/revoke`).set(auth(otherToken)).expect(200);
    const list = async (query: Record<string, string>) => {
      const res = await request(inst.app).get('/v1/audit-events').query(query).set(auth(token)).expect(200);
      return res.body.data.map((e: { action: string; target: { id: string } | null }) => `${e.action} ${e.target?.id ?? ''}`);
    };
    expect(await list({ actor: other.body.id })).toEqual([`key.revoked ${a.body.id}`, `key.created ${b.body.id}`]);
    expect(await list({ actor: other.body.id, action: 'key.created' })).toEqual([`key.created ${b.body.id}`]);
    expect(await list({ actor: admin.id, key_id: a.body.id })).toEqual([`key.created ${a.body.id}`]);
    const created = (await request(inst.app).get('/v1/audit-events').query({ key_id: b.body.id }).set(auth(token)).expect(200)).body
      .data[0] as { created_at: string };
    const at = new Date(created.created_at);
    expect(await list({ actor: other.body.id, from: at.toISOString() })).toContain(`key.created ${b.body.id}`);
    expect(await list({ actor: other.body.id, to: at.toISOString() })).toEqual([]);
    expect(await list({ actor: other.body.id, from: new Date(at.getTime() + 60_000).toISOString() })).toEqual([]);
    const paged = await request(inst.app).get('/v1/audit-events').query({ actor: other.body.id, limit: 1 }).set(auth(token)).expect(200);
    const next = await request(inst.app)
      .get('/v1/audit-events')
      .query({ actor: other.body.id, limit: 1, cursor: paged.body.next_cursor as string })
      .set(auth(token))
      .expect(200);
    expect(next.body.data.map((e: { action: string }) => e.action)).toEqual(['key.created']);
    const bad = await request(inst.app).get('/v1/audit-events').query({ actor: 'someone' }).set(auth(token)).expect(400);
    expect(bad.body.error_description).toBe('"actor": must be the ID of a person (usr_...) or a key (key_...)');
    const both = await request(inst.app)
      .get('/v1/audit-events')
      .query({ from: at.toISOString(), since: at.toISOString() })
      .set(auth(token))
      .expect(400);
    expect(both.body.error_description).toBe('"from": send from or since, not both');
  });

  it("shows nothing of another organisation's events", async () => {
    const a = await createAdmin(inst.deps, inst.app);
    const b = await createAdmin(inst.deps, inst.app);
    const mine = await request(inst.app).post('/v1/keys').set(auth(a.token)).send({ name: 'a-only' }).expect(201);
    await request(inst.app).post('/v1/keys').set(auth(b.token)).send({ name: 'b-only' }).expect(201);
    const res = await request(inst.app).get('/v1/audit-events').set(auth(a.token)).expect(200);
    // Not vacuous: A's own event is there, and nothing else.
    expect(res.body.data.map((e: { target: { id: string } }) => e.target.id)).toEqual([mine.body.id]);
    expect(res.body.data.every((e: { org_id: string }) => e.org_id === a.org.id)).toBe(true);
  });
});
