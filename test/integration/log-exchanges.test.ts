import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { createAdmin } from '../support/fixtures.js';

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });

describe('log_exchanges', () => {
  let inst: TestInstance;
  beforeAll(async () => {
    inst = await createTestInstance();
  });
  afterAll(async () => inst.close());

  it('audits every successful exchange of a key that asks for it (never the token), and stops when turned off', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const created = await request(inst.app)
      .post('/v1/keys')
      .set(auth(token))
      .send({ name: 'watched', scopes: ['read', 'write'], log_exchanges: true })
      .expect(201);
    expect(created.body.log_exchanges).toBe(true);
    const creds = { org_id: org.id, key_id: created.body.id as string, secret: created.body.secret as string };
    const issued = await request(inst.app)
      .post('/v1/token')
      .set('User-Agent', 'watcher/1')
      .send({ ...creds, scope: 'read' })
      .expect(200);
    await inst.deps.audit.flush();
    const events = await inst.deps.db('audit_events').where({ target_id: creds.key_id, action: 'exchange.succeeded' });
    expect(events).toHaveLength(1);
    const jti = (JSON.parse(Buffer.from((issued.body.access_token as string).split('.')[1]!, 'base64url').toString()) as { jti: string })
      .jti;
    expect(events[0]).toMatchObject({
      org_id: org.id,
      actor_type: 'key',
      actor_id: creds.key_id,
      ip: expect.any(String),
      user_agent: 'watcher/1',
    });
    expect(events[0].detail).toEqual({ scope: 'read', audience: inst.config.defaultAudience, jti });
    expect(JSON.stringify(events)).not.toContain(issued.body.access_token);

    await request(inst.app).patch(`/v1/keys/${creds.key_id}`).set(auth(token)).send({ log_exchanges: false }).expect(200);
    await request(inst.app).post('/v1/token').send(creds).expect(200);
    await inst.deps.audit.flush();
    expect(await inst.deps.db('audit_events').where({ target_id: creds.key_id, action: 'exchange.succeeded' })).toHaveLength(1);
  });

  it('is off by default: successful exchanges are counted in usage, not audited', async () => {
    const { org, token } = await createAdmin(inst.deps, inst.app);
    const created = await request(inst.app).post('/v1/keys').set(auth(token)).send({ name: 'quiet' }).expect(201);
    expect(created.body.log_exchanges).toBe(false);
    await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: created.body.id, secret: created.body.secret }).expect(200);
    await inst.deps.audit.flush();
    expect(await inst.deps.db('audit_events').where({ target_id: created.body.id, action: 'exchange.succeeded' })).toEqual([]);
  });
});
