import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { systemClock, type Clock } from '../../src/clock.js';
import { createAuditLog } from '../../src/domain/audit.js';
import { newId } from '../../src/ids.js';
import { createLogger } from '../../src/log.js';
import { createTestInstance, LogCapture, type TestInstance } from '../support/app.js';
import { createKey, createOrg } from '../support/fixtures.js';

let inst: TestInstance;
const logs = new LogCapture();
beforeAll(async () => {
  inst = await createTestInstance({ logs });
});
afterAll(async () => inst.close());

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
type AuditRow = { target_id: string | null; target_type: string | null; detail: Record<string, unknown>; action: string };
const rowsBy = (userAgent: string): Promise<AuditRow[]> =>
  inst.deps.db('audit_events').where({ user_agent: userAgent, action: 'exchange.rejected' }).orderBy('id');

describe('audit log hygiene', () => {
  it('keeps auditing refused exchanges after one with a NUL byte in the key ID', async () => {
    const ua = `nul-test/${randomUUID()}`;
    const org = await createOrg(inst.deps);
    const { key } = await createKey(inst.deps, org);
    const wrong = (await createKey(inst.deps, org)).secret;

    const json = await request(inst.app)
      .post('/v1/token')
      .set('User-Agent', ua)
      .send({ org_id: org.id, key_id: 'key_\u0000', secret: 'x' });
    expect([400, 401]).toContain(json.status);
    const viaBasic = await request(inst.app)
      .post('/oauth/token')
      .set('User-Agent', ua)
      .set('Authorization', basic('key_%00', 'x'))
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect([400, 401]).toContain(viaBasic.status);
    await request(inst.app).post('/v1/token').set('User-Agent', ua).send({ org_id: org.id, key_id: key.id, secret: wrong }).expect(401);

    await expect(inst.deps.audit.flush()).resolves.toBeGreaterThanOrEqual(0);
    expect(inst.deps.audit.pending()).toBe(0);
    const rows = await rowsBy(ua);
    expect(rows.filter((r) => r.target_id === key.id)).toEqual([
      expect.objectContaining({ target_type: 'key', detail: { reason: 'wrong_secret' } }),
    ]);
    // Whatever was recorded of the malformed attempts names no key and says why.
    for (const r of rows.filter((x) => x.target_id !== key.id)) {
      expect(r).toMatchObject({ target_id: null, target_type: null, detail: { key_id_malformed: true } });
    }
  });

  it('cleans NUL bytes and lone surrogates from every text it records, and bounds their length', async () => {
    const orgId = newId('org');
    inst.deps.audit.enqueue({
      orgId,
      action: 'test.dirty',
      actor: { type: 'anonymous', id: 'a\u0000b' },
      target: { type: 'key', id: 'x\ud800y' },
      context: { ip: '127.0.0.1', userAgent: `ua\u0000${'z'.repeat(5_000)}`, requestId: 'r\udc00' },
      detail: { reason: 'bad\u0000', nested: { list: ['\ud83d\ude00 ok', 'lone \ud83d', 'x'.repeat(5_000)] }, 'key\u0000': 1 },
    });
    await inst.deps.audit.flush();
    const [row] = await inst.deps.db('audit_events').where({ org_id: orgId });
    expect(row).toMatchObject({
      actor_id: 'a\ufffdb',
      target_id: 'x\ufffdy',
      request_id: 'r\ufffd',
      detail: { reason: 'bad\ufffd', nested: { list: ['\ud83d\ude00 ok', 'lone \ufffd', expect.any(String)] }, 'key\ufffd': 1 },
    });
    expect(row.user_agent.length).toBeLessThanOrEqual(512);
    expect(row.detail.nested.list[2].length).toBeLessThanOrEqual(1_024);
  });

  it('writes the rest of a batch when Postgres refuses one row, and counts and logs the dropped row', async () => {
    const capture = new LogCapture();
    // A time Postgres cannot store (before 4713 BC): a row it refuses, whatever the cleaner does.
    let poisoned = false;
    const clock: Clock = { now: () => (poisoned ? -8.64e15 : systemClock.now()) };
    const audit = createAuditLog(inst.deps.db, clock, createLogger('info', capture));
    const orgId = newId('org');
    const input = (action: string) => ({ orgId, action, actor: { type: 'system' as const, id: null } });

    audit.enqueue(input('test.first'));
    poisoned = true;
    audit.enqueue(input('test.poisoned'));
    poisoned = false;
    for (let i = 0; i < 5; i++) audit.enqueue(input('test.after'));

    await expect(audit.flush()).resolves.toBe(6);
    expect(audit.pending()).toBe(0);
    expect(audit.dropped()).toBe(1);
    const rows: AuditRow[] = await inst.deps.db('audit_events').where({ org_id: orgId }).orderBy('id');
    expect(rows.map((r) => r.action)).toEqual(['test.first', ...Array(5).fill('test.after')]);

    const dropped = capture.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'audit.row_dropped');
    expect(dropped).toEqual([expect.objectContaining({ level: 50, action: 'test.poisoned', id: expect.stringMatching(/^evt_/) })]);

    // Nothing is left to retry: the next flush writes only what is new.
    audit.enqueue(input('test.later'));
    await expect(audit.flush()).resolves.toBe(1);
  });

  it('keeps the whole batch for the next flush while the database is unreachable', async () => {
    const { createDb } = await import('../../src/storage/db.js');
    const down = createDb('postgres://postgres@127.0.0.1:1/nowhere');
    try {
      const audit = createAuditLog(down, systemClock, createLogger('silent'));
      for (let i = 0; i < 3; i++) audit.enqueue({ orgId: null, action: 'test.kept', actor: { type: 'system', id: null } });
      await expect(audit.flush()).rejects.toThrow();
      expect(audit.pending()).toBe(3);
      expect(audit.dropped()).toBe(0);
    } finally {
      await down.destroy();
    }
  });
});

describe('secrets sent where the key ID goes', () => {
  it('never reach a log line or an audit row (HTTP Basic with the values swapped, or JSON)', async () => {
    const org = await createOrg(inst.deps);
    const { key, secret } = await createKey(inst.deps, org);
    const ua = `swap-test/${randomUUID()}`;
    await request(inst.app)
      .post('/oauth/token')
      .set('User-Agent', ua)
      .set('Authorization', basic(secret, key.id))
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(401);
    const json = await request(inst.app).post('/v1/token').set('User-Agent', ua).send({ org_id: org.id, key_id: secret, secret: key.id });
    expect([400, 401]).toContain(json.status);
    await inst.deps.audit.flush();

    // A malformed key ID is refused where credentials are read, before anything is recorded.
    expect(await rowsBy(ua)).toEqual([]);
    expect(logs.text()).not.toContain(secret.slice(8, 40));
    expect(logs.text()).toContain('request.rejected');
  });
});
