import request from 'supertest';
import { createTestInstance, twoInstances, waitFor, type TestInstance } from '../support/app.js';
import { createAdmin, createKey } from '../support/fixtures.js';
import { parseExposition, type MetricFamily } from '../support/prometheus.js';

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });
const ID = /\b(org|key|evt)_[0-9A-HJKMNP-TV-Z]{26}\b/;

async function scrape(inst: TestInstance, headers: Record<string, string> = {}): Promise<MetricFamily[]> {
  const res = await request(inst.app).get('/metrics').set(headers).expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text);
}

const family = (families: MetricFamily[], name: string) => {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no metric family ${name}`);
  return f;
};
const counter = (families: MetricFamily[], name: string, labels: Record<string, string>) =>
  Number(family(families, name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0);

describe('GET /metrics', () => {
  const pair = twoInstances();
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(() => ({ a, b } = pair));

  it('counts every exchange by outcome, every request by declared route, with no ID in any label', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const good = await createKey(a.deps, org);
    const doomed = await createKey(a.deps, org);
    await request(a.app).post(`/v1/keys/${doomed.key.id}/revoke`).set(auth(token)).expect(200);
    const before = await scrape(a);
    const creds = (k: typeof good, secret = k.secret) => ({ org_id: k.key.orgId, key_id: k.key.id, secret });
    for (let i = 0; i < 3; i++) await request(a.app).post('/v1/token').send(creds(good)).expect(200);
    await request(a.app).post('/v1/token').send(creds(good, doomed.secret)).expect(401);
    await request(a.app).post('/v1/token').send(creds(doomed)).expect(401);
    await request(a.app).get(`/v1/keys/${good.key.id}`).set(auth(token)).expect(200);
    const after = await scrape(a);

    const delta = (labels: Record<string, string>) =>
      counter(after, 'scope_auth_token_exchanges_total', labels) - counter(before, 'scope_auth_token_exchanges_total', labels);
    expect({
      issued: delta({ outcome: 'issued' }),
      wrong_secret: delta({ outcome: 'wrong_secret' }),
      revoked: delta({ outcome: 'revoked' }),
    }).toEqual({
      issued: 3,
      wrong_secret: 1,
      revoked: 1,
    });
    expect(Number(family(after, 'scope_auth_token_exchange_duration_seconds').metrics[0]?.count)).toBeGreaterThanOrEqual(5);
    expect(
      counter(after, 'scope_auth_http_requests_total', { route: '/v1/keys/:id', method: 'GET', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(counter(after, 'scope_auth_key_cache_requests_total', { result: 'hit' })).toBeGreaterThanOrEqual(2);
    expect(counter(after, 'scope_auth_pubsub_connected', {})).toBe(1);
    expect(counter(after, 'scope_auth_revocation_list_entries', {})).toBeGreaterThanOrEqual(1);
    for (const name of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds']) expect(family(after, name)).toBeDefined();
    for (const f of after) for (const m of f.metrics) for (const v of Object.values(m.labels ?? {})) expect(v).not.toMatch(ID);
  });

  it('measures revocations where they are made and how long each took to reach every instance', async () => {
    const { org, token } = await createAdmin(a.deps, a.app);
    const { key } = await createKey(a.deps, org);
    const madeBefore = counter(await scrape(a), 'scope_auth_revocations_total', {});
    const propagation = async () => Number(family(await scrape(b), 'scope_auth_revocation_propagation_seconds').metrics[0]?.count ?? 0);
    const appliedBefore = await propagation();
    await request(a.app).post(`/v1/keys/${key.id}/revoke`).set(auth(token)).expect(200);
    expect(counter(await scrape(a), 'scope_auth_revocations_total', {})).toBe(madeBefore + 1);
    await waitFor(async () => (await propagation()) === appliedBefore + 1, 5_000, 'B to record the propagation');
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let inst: TestInstance;
  beforeAll(async () => {
    inst = await createTestInstance({ env: { METRICS_TOKEN: 'metrics-token-0123456789' } });
  });
  afterAll(async () => inst.close());

  it('answers only the bearer of the token', async () => {
    const none = await request(inst.app).get('/metrics').expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="scope-auth"');
    const wrong = await request(inst.app).get('/metrics').set(auth('metrics-token-9999999999')).expect(401);
    expect(wrong.body).toEqual({ error: 'invalid_token', error_description: 'the metrics token is not valid' });
    await scrape(inst, auth('metrics-token-0123456789'));
  });
});

describe('METRICS_ENABLED=false and USAGE_ENABLED=false', () => {
  let inst: TestInstance;
  beforeAll(async () => {
    inst = await createTestInstance({ env: { METRICS_ENABLED: 'false', USAGE_ENABLED: 'false' } });
  });
  afterAll(async () => inst.close());

  it('serves no metrics and counts no usage, while exchanges work as before', async () => {
    const { org } = await createAdmin(inst.deps, inst.app);
    const k = await createKey(inst.deps, org);
    for (let i = 0; i < 3; i++)
      await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: k.key.id, secret: k.secret }).expect(200);
    const off = await request(inst.app).get('/metrics').expect(404);
    expect(off.body.error).toBe('not_found');
    expect(inst.deps.usage.pending()).toBe(0);
    await inst.deps.usage.flush();
    const rows = await inst.deps.db('key_usage').where({ key_id: k.key.id });
    expect(rows).toEqual([]);
  });
});
