import request from 'supertest';
import { createTestInstance, LogCapture, type TestInstance } from '../support/app.js';
import { createKey, createOrg } from '../support/fixtures.js';

type Line = {
  msg: string;
  level: number;
  pid: number;
  hostname: string;
  route?: string;
  status?: number;
  keyId?: string;
  requestId?: string;
  traceId?: string;
  ms?: number;
};
const accessLines = (logs: LogCapture) => logs.lines.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'request.completed');

async function withInstance(env: Record<string, string>, fn: (inst: TestInstance, logs: LogCapture) => Promise<void>) {
  const logs = new LogCapture();
  const inst = await createTestInstance({ logs, env });
  try {
    await fn(inst, logs);
  } finally {
    await inst.close();
  }
}

describe('access log', () => {
  it('writes one line per request: declared route, status, duration, request ID, the key, pid and hostname; never the query string', async () => {
    await withInstance({}, async (inst, logs) => {
      const org = await createOrg(inst.deps);
      const { key, secret } = await createKey(inst.deps, org);
      await request(inst.app).post('/v1/token').set('X-Request-Id', 'req-123').send({ org_id: org.id, key_id: key.id, secret }).expect(200);
      await request(inst.app)
        .get(`/v1/keys/${key.id}?secret=${secret}`)
        .set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
        .expect(401);
      const lines = accessLines(logs);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({
        level: 30,
        route: '/v1/token',
        status: 200,
        keyId: key.id,
        requestId: 'req-123',
        pid: process.pid,
        hostname: expect.any(String),
      });
      expect(lines[0]!.ms).toBeGreaterThan(0);
      // The caller's W3C trace ID joins its lines (the access line and the refusal's).
      expect(lines[1]).toMatchObject({ route: '/v1/keys/:id', status: 401, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
      expect(logs.lines.filter((l) => l.includes('4bf92f3577b34da6a3ce929d0e0e4736'))).toHaveLength(2);
      expect(lines[0]).not.toHaveProperty('traceId');
      expect(logs.text()).not.toContain(secret);
    });
  });

  it('samples successes only, and can be turned off', async () => {
    await withInstance({ ACCESS_LOG_SAMPLE: '0' }, async (inst, logs) => {
      await request(inst.app).get('/healthz').expect(200);
      await request(inst.app).get('/nowhere').expect(404);
      expect(accessLines(logs).map((l) => [l.route, l.status])).toEqual([['(unmatched)', 404]]);
    });
    await withInstance({ ACCESS_LOG_LEVEL: 'silent' }, async (inst, logs) => {
      await request(inst.app).get('/nowhere').expect(404);
      expect(accessLines(logs)).toEqual([]);
    });
  });
});
