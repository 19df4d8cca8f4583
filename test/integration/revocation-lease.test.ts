// Pub/sub can lose a revocation without anyone noticing (issue 24: on Cluster the node that took the
// PUBLISH dies before passing it on, while the other instance's own connections live). A revoke that
// answered 200 must still be refused at once by every instance: memory is trusted only under a
// lease renewed from Postgres, and a revoke not acknowledged by every peer waits the lease out.
import request from 'supertest';
import { createTestInstance, LogCapture, newPrefix, type TestInstance } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { createAdmin, createKey, exchange } from '../support/fixtures.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });
const unconfirmed = (logs: LogCapture) => logs.lines.filter((l) => l.includes('"revocation.unconfirmed"')).length;

describe('a revocation the bus loses', () => {
  // A on Redis directly; B through a proxy the test cuts, so B's PUBLISH is lost while A's bus,
  // heartbeat included, stays live: A hears nothing of B's revoke.
  let proxy: TcpProxy;
  let a: TestInstance;
  let b: TestInstance;
  const logs = new LogCapture();
  beforeAll(async () => {
    proxy = await startTcpProxy(TEST_REDIS_URL);
    const prefix = newPrefix();
    a = await createTestInstance({ prefix });
    b = await createTestInstance({ prefix, env: { REDIS_URL: proxy.url }, logs });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await proxy.close();
  });

  it('answers without waiting when every peer acknowledges it', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const k = await createKey(a.deps, org);
    await exchange(a.app, { org_id: org.id, key_id: k.key.id, secret: k.secret });
    await request(b.app).post(`/v1/keys/${k.key.id}/revoke`).set(auth(token)).expect(200);
    await request(a.app).post('/v1/token').send({ org_id: org.id, key_id: k.key.id, secret: k.secret }).expect(401);
    expect(unconfirmed(logs)).toBe(0);
  });

  it('is refused by the instance that never heard it, from the moment the revoke answers', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const victims = await Promise.all([0, 1, 2].map(() => createKey(a.deps, org)));
    // A holds each key in its cache, as active.
    for (const v of victims) await exchange(a.app, { org_id: org.id, key_id: v.key.id, secret: v.secret });
    expect(a.deps.bus.isLive()).toBe(true);
    await proxy.cut();
    try {
      for (const v of victims) {
        await request(b.app).post(`/v1/keys/${v.key.id}/revoke`).set(auth(token)).expect(200);
        // A's bus never went down: only the lease made it read Postgres.
        expect(a.deps.bus.isLive()).toBe(true);
        await request(a.app).post('/v1/token').send({ org_id: org.id, key_id: v.key.id, secret: v.secret }).expect(401);
      }
      expect(unconfirmed(logs)).toBe(victims.length);
      // And A's memory is trusted again: the entries are in its revoked set.
      for (const v of victims) expect(a.deps.revocations.isKeyRevoked(v.key.id)).toBe(true);
    } finally {
      await proxy.restore();
    }
  });
});
