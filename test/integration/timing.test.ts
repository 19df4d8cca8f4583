import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { createTestInstance, listen, type TestInstance } from '../support/app.js';
import { createKey, createOrg } from '../support/fixtures.js';

/**
 * No oracle: unknown key, wrong secret, revoked key and expired key must be indistinguishable by
 * timing. Requests are interleaved at random over one keep-alive connection, so machine noise hits
 * every cause alike, and medians are compared.
 */
describe('invalid_client timing', () => {
  let inst: TestInstance;
  let srv: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    inst = await createTestInstance();
    srv = await listen(inst.app);
  });
  afterAll(async () => {
    await srv.close();
    await inst.close();
  });

  it('is the same for every cause (medians within 25%, or 0.3 ms)', async () => {
    const org = await createOrg(inst.deps);
    const good = await createKey(inst.deps, org);
    const revoked = await createKey(inst.deps, org);
    await inst.deps.db('api_keys').where({ id: revoked.key.id }).update({ revoked_at: new Date() });
    const expired = await createKey(inst.deps, org, { expiresAt: new Date(Date.now() - 1000) });
    const otherSecret = (await createKey(inst.deps, org)).secret;
    const causes: Record<string, string> = {
      unknown_key: JSON.stringify({ org_id: org.id, key_id: 'key_01JAAAAAAAAAAAAAAAAAAAAAAA', secret: otherSecret }),
      wrong_secret: JSON.stringify({ org_id: good.key.orgId, key_id: good.key.id, secret: otherSecret }),
      revoked: JSON.stringify({ org_id: revoked.key.orgId, key_id: revoked.key.id, secret: revoked.secret }),
      expired: JSON.stringify({ org_id: expired.key.orgId, key_id: expired.key.id, secret: expired.secret }),
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const port = Number(new URL(srv.url).port);
    const once = (body: string) =>
      new Promise<{ ms: number; status: number; body: string }>((resolve, reject) => {
        const started = process.hrtime.bigint();
        const req = http.request(
          { host: '127.0.0.1', port, method: 'POST', path: '/v1/token', agent, headers: { 'Content-Type': 'application/json' } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });

    const names = Object.keys(causes);
    const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const bodies = new Set<string>();
    for (let round = 0; round < 320; round++) {
      for (const name of [...names].sort(() => Math.random() - 0.5)) {
        const r = await once(causes[name]!);
        expect(r.status).toBe(401);
        bodies.add(r.body);
        if (round >= 20) samples[name]!.push(r.ms); // the first rounds warm caches and the JIT
      }
    }
    agent.destroy();
    expect(bodies.size).toBe(1);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const medians = Object.fromEntries(names.map((n) => [n, median(samples[n]!)]));
    const values = Object.values(medians);
    const spread = Math.max(...values) - Math.min(...values);
    const tolerance = Math.max(0.25 * Math.min(...values), 0.3);
    if (process.env.SCOPE_AUTH_FIGURES)
      appendFileSync(process.env.SCOPE_AUTH_FIGURES, `${JSON.stringify({ timing: medians, samplesEach: samples.expired!.length })}\n`);
    expect({ medians, spreadWithinTolerance: spread <= tolerance }).toEqual({ medians, spreadWithinTolerance: true });
  });
});
