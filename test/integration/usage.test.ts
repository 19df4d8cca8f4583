import request from 'supertest';
import { fakeClock } from '../../src/clock.js';
import { createTestInstance, newPrefix, type TestInstance } from '../support/app.js';
import { isolatedDatabase } from '../support/databases.js';
import { createAdmin, createKey } from '../support/fixtures.js';

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });
const HOUR = 3_600_000;

describe('per-key usage', () => {
  it('counts every exchange by outcome, exactly, across instances and a restart, with no write per exchange', async () => {
    const databaseUrl = await isolatedDatabase('usage');
    const prefix = newPrefix();
    const a = await createTestInstance({ databaseUrl, prefix });
    let b: TestInstance | undefined = await createTestInstance({ databaseUrl, prefix });
    try {
      const { org, token } = await createAdmin(a.deps, a.app);
      const { key, secret } = await createKey(a.deps, org);
      const creds = (s = secret) => ({ org_id: org.id, key_id: key.id, secret: s });
      const wrong = (await createKey(a.deps, org)).secret;
      for (let i = 0; i < 30; i++) await request(a.app).post('/v1/token').send(creds()).expect(200);
      for (let i = 0; i < 20; i++) await request(b.app).post('/v1/token').send(creds()).expect(200);
      for (let i = 0; i < 3; i++) await request(a.app).post('/v1/token').send(creds(wrong)).expect(401);
      // Counted in memory only until a flush.
      expect(await a.deps.db('key_usage').where({ key_id: key.id })).toEqual([]);
      await a.deps.usage.flush();
      await b.close(); // flushes on the way out, like a restart
      b = undefined;
      const c = await createTestInstance({ databaseUrl, prefix });
      try {
        for (let i = 0; i < 5; i++) await request(c.app).post('/v1/token').send(creds()).expect(200);
        await c.deps.usage.flush();
      } finally {
        await c.close();
      }
      const res = await request(a.app).get(`/v1/keys/${key.id}/usage`).set(auth(token)).expect(200);
      const total = (res.body.data as Array<{ counts: Record<string, number> }>).reduce(
        (sum, bucket) => ({
          issued: sum.issued + (bucket.counts.issued ?? 0),
          wrong_secret: sum.wrong_secret + (bucket.counts.wrong_secret ?? 0),
        }),
        { issued: 0, wrong_secret: 0 },
      );
      expect(total).toEqual({ issued: 55, wrong_secret: 3 });
      expect(res.headers['cache-control']).toBe('no-store');
    } finally {
      await b?.close();
      await a.close();
    }
  });

  it('answers by hour or by UTC day, refuses bad ranges, and never another org’s key', async () => {
    const clock = fakeClock(Date.UTC(2026, 10, 30, 22, 30));
    const inst = await createTestInstance({ clock, databaseUrl: await isolatedDatabase('usage_days') });
    try {
      const { org } = await createAdmin(inst.deps, inst.app);
      const { key, secret } = await createKey(inst.deps, org);
      const exchangeN = async (n: number) => {
        for (let i = 0; i < n; i++) await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: key.id, secret }).expect(200);
      };
      await exchangeN(2); // 22:30
      clock.advance(HOUR); // 23:30
      await exchangeN(3);
      clock.advance(HOUR); // 00:30 the next day
      await exchangeN(4);
      await inst.deps.usage.flush();
      // Another org's admin: the key is a 404 to it.
      const stranger = await createAdmin(inst.deps, inst.app);
      await request(inst.app).get(`/v1/keys/${key.id}/usage`).set(auth(stranger.token)).expect(404);
      // Tokens minted now: the first ones (22:30) have expired.
      const own = await createKey(inst.deps, org, { scopes: ['audit:read'] });
      const ownToken = (
        await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: own.key.id, secret: own.secret }).expect(200)
      ).body.access_token as string;
      const q = { from: '2026-11-30T00:00:00Z', to: '2026-12-02T00:00:00Z' };
      const hours = await request(inst.app).get(`/v1/keys/${key.id}/usage`).query(q).set(auth(ownToken)).expect(200);
      expect(hours.body.data.map((b: { start: string; total: number }) => [b.start, b.total])).toEqual([
        ['2026-11-30T22:00:00.000Z', 2],
        ['2026-11-30T23:00:00.000Z', 3],
        ['2026-12-01T00:00:00.000Z', 4],
      ]);
      const days = await request(inst.app)
        .get(`/v1/keys/${key.id}/usage`)
        .query({ ...q, granularity: 'day' })
        .set(auth(ownToken))
        .expect(200);
      expect(days.body.data.map((b: { start: string; counts: object }) => [b.start, b.counts])).toEqual([
        ['2026-11-30T00:00:00.000Z', { issued: 5 }],
        ['2026-12-01T00:00:00.000Z', { issued: 4 }],
      ]);
      await request(inst.app).get(`/v1/keys/${key.id}/usage`).query({ from: q.to, to: q.from }).set(auth(ownToken)).expect(400);
      await request(inst.app)
        .get(`/v1/keys/${key.id}/usage`)
        .query({ from: '2026-01-01T00:00:00Z', to: q.to })
        .set(auth(ownToken))
        .expect(400);
    } finally {
      await inst.close();
    }
  });
});

describe('key hygiene', () => {
  it('lists unused keys, flags keys that expire soon, and reports both with the busiest keys', async () => {
    const clock = fakeClock();
    const inst = await createTestInstance({ clock, databaseUrl: await isolatedDatabase('hygiene') });
    try {
      const { org, token } = await createAdmin(inst.deps, inst.app);
      const busy = await createKey(inst.deps, org, { name: 'busy' });
      const idle = await createKey(inst.deps, org, { name: 'idle' });
      const expiring = await createKey(inst.deps, org, { name: 'expiring', expiresAt: new Date(clock.now() + 3 * 86_400_000) });
      for (let i = 0; i < 4; i++)
        await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: busy.key.id, secret: busy.secret }).expect(200);
      await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: expiring.key.id, secret: expiring.secret }).expect(200);
      await Promise.all([inst.deps.usage.flush(), inst.deps.lastUsed.flush()]);

      const unused = await request(inst.app).get('/v1/keys').query({ unused_for_days: 30 }).set(auth(token)).expect(200);
      expect(unused.body.data.map((k: { id: string }) => k.id)).toEqual([idle.key.id]);
      const shown = await request(inst.app).get(`/v1/keys/${expiring.key.id}`).set(auth(token)).expect(200);
      expect(shown.body.expires_soon).toBe(true);
      expect((await request(inst.app).get(`/v1/keys/${busy.key.id}`).set(auth(token)).expect(200)).body.expires_soon).toBe(false);

      const report = await request(inst.app).get('/v1/usage').set(auth(token)).expect(200);
      // The admin key's own exchange counts too.
      expect(report.body.totals).toEqual({ issued: 6 });
      expect(report.body.busiest_keys[0]).toEqual({ key_id: busy.key.id, issued: 4, refused: 0 });
      expect(report.body.unused_keys.map((k: { id: string }) => k.id)).toEqual([idle.key.id]);
      expect(report.body.expiring_keys.map((k: { id: string }) => k.id)).toEqual([expiring.key.id]);
    } finally {
      await inst.close();
    }
  });
});
