// A rolling restart under load (issue 24): three `scope-auth serve` processes behind a TCP load
// balancer, restarted one by one with SIGTERM (graceful drain) while a client exchanges, verifies
// and introspects without pause. No request may fail, and every last_used_at, usage count and
// audit record of the exchanges served must be in Postgres once the last process has stopped.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createApiKey, type CreatedKey } from '../../src/domain/api-keys.js';
import { waitFor } from '../support/app.js';
import { serveInDeployment } from '../support/cli.js';
import { deploymentSuite } from '../support/deployment.js';
import { freePort } from '../support/redis-topology.js';

const INSTANCES = 3;
const KEYS = 300;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Round-robin per connection over `ports`, skipping a backend that refuses the connection. */
async function startBalancer(ports: number[]): Promise<{ url: string; close(): Promise<void> }> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const attempt = (tries: number) => {
      const port = ports[next++ % ports.length]!;
      const upstream = net.connect(port, '127.0.0.1');
      upstream.once('error', () => {
        upstream.destroy();
        if (tries + 1 < ports.length * 3) attempt(tries + 1);
        else client.destroy();
      });
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => client.end());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

type Answer = { status: number; body: Record<string, unknown> } | { error: string };

/** One request on a connection of its own (Connection: close), so the balancer spreads them. */
function post(url: string, path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(
      `${url}${path}`,
      {
        method: 'POST',
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close', ...headers },
      },
      (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (raw += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

describe('rolling restart under load', () => {
  const suite = deploymentSuite();

  it('restarts three instances one by one with no failed request and no lost last_used_at, usage or audit record', async () => {
    const { prefix, config, deps, org } = await suite.freshOrg();
    const db = suite.db();
    const keys: CreatedKey[] = [];
    for (let i = 0; i < KEYS; i++) {
      keys.push(
        await createApiKey(deps, db, {
          orgId: org.id,
          name: `rolling ${i}`,
          environment: 'live',
          scopes: ['read'],
          audiences: [],
          expiresAt: null,
          createdBy: 'test',
          logExchanges: true,
        }),
      );
    }

    const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
    const settings = {
      RATE_LIMIT_ENABLED: 'false',
      // Only shutdown flushes write last_used_at: a record an instance lost on SIGTERM stays missing.
      LAST_USED_FLUSH_SECONDS: '60',
      USAGE_FLUSH_SECONDS: '60',
      SHUTDOWN_DRAIN_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '5000',
    };
    const start = async (port: number): Promise<ChildProcessWithoutNullStreams> => {
      const { child, output } = serveInDeployment(prefix, config.issuer, { ...settings, PORT: String(port) });
      await waitFor(() => output().includes('"server.listening"'), 20_000, `instance on ${port} to listen`);
      return child;
    };
    const stop = async (child: ChildProcessWithoutNullStreams): Promise<number | null> => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    };

    const instances = await Promise.all(ports.map((p) => start(p)));
    const lb = await startBalancer(ports);
    const jwks = createRemoteJWKSet(new URL(`${lb.url}/.well-known/jwks.json`));
    const failures: string[] = [];
    const issued = new Map<string, { count: number; last: number }>();
    let sent = 0;
    let stopLoad = false;
    const load = async (worker: number) => {
      for (let i = worker; !stopLoad; i += 2) {
        const k = keys[i % KEYS]!;
        sent++;
        const at = Date.now();
        const ex = await post(lb.url, '/v1/token', JSON.stringify({ org_id: org.id, key_id: k.key.id, secret: k.secret }));
        if ('error' in ex || ex.status !== 200) {
          failures.push(`exchange: ${JSON.stringify(ex)}`);
          continue;
        }
        issued.set(k.key.id, { count: (issued.get(k.key.id)?.count ?? 0) + 1, last: at });
        const token = ex.body.access_token as string;
        await jwtVerify(token, jwks, { issuer: config.issuer }).catch((err: Error) => failures.push(`verify: ${err.message}`));
        const intro = await post(lb.url, '/oauth/introspect', `token=${token}`, {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: basic(k.key.id, k.secret),
        });
        if ('error' in intro || intro.status !== 200 || intro.body.active !== true) failures.push(`introspect: ${JSON.stringify(intro)}`);
      }
    };
    const running = [load(0), load(1)];
    try {
      await waitFor(() => sent > 50, 10_000, 'load to run');
      for (let i = 0; i < INSTANCES; i++) {
        // SIGTERM: the instance drains (still serving) for SHUTDOWN_DRAIN_MS, then refuses connections.
        expect(await stop(instances[i]!)).toBe(0);
        instances[i] = await start(ports[i]!);
        const before = sent;
        await waitFor(() => sent > before + 30, 10_000, 'load to go on');
      }
    } finally {
      stopLoad = true;
      await Promise.all(running);
      for (const child of instances) await stop(child);
      await lb.close();
    }

    const successes = [...issued.values()].reduce((n, v) => n + v.count, 0);
    process.stdout.write(`rolling restart: ${JSON.stringify({ sent, successes, failures: failures.length })}\n`);
    expect(failures).toEqual([]);
    expect(successes).toBe(sent);

    // Nothing lost: what Postgres holds after the last flush is what was served.
    const ids = [...issued.keys()];
    const rows = await db('api_keys').whereIn('id', ids).select('id', 'last_used_at');
    expect(rows).toHaveLength(ids.length);
    for (const r of rows as Array<{ id: string; last_used_at: Date | null }>) {
      // The instant the instance stamped is after the client sent its last exchange of the key.
      expect(r.last_used_at?.getTime() ?? 0).toBeGreaterThanOrEqual(issued.get(r.id)!.last);
    }
    const perKey = [...issued].map(([id, v]) => [id, v.count]);
    const usage = await db.raw<{ rows: Array<{ id: string; n: number }> }>(
      `SELECT key_id AS id, sum(count)::int AS n FROM key_usage WHERE key_id = ANY(?) AND outcome = 'issued' GROUP BY key_id`,
      [ids],
    );
    const audited = await db.raw<{ rows: Array<{ id: string; n: number }> }>(
      `SELECT target_id AS id, count(*)::int AS n FROM audit_events WHERE target_id = ANY(?) AND action = 'exchange.succeeded' GROUP BY target_id`,
      [ids],
    );
    expect(Object.fromEntries(usage.rows.map((r) => [r.id, r.n]))).toEqual(Object.fromEntries(perKey));
    expect(Object.fromEntries(audited.rows.map((r) => [r.id, r.n]))).toEqual(Object.fromEntries(perKey));
  }, 90_000);
});
