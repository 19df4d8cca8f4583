import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import request from 'supertest';
import { newPrefix, testConfig, trackChild, waitFor } from '../support/app.js';
import { ensureBuilt } from '../support/build.js';
import { CLI, cliEnv } from '../support/cli.js';
import { isolatedDatabase } from '../support/databases.js';
import { parseExposition } from '../support/prometheus.js';
import { startServer } from '../../src/main.js';
import { createLogger } from '../../src/log.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const issued = (text: string) =>
  Number(
    parseExposition(text)
      .find((f) => f.name === 'scope_auth_token_exchanges_total')
      ?.metrics.find((m) => m.labels?.outcome === 'issued')?.value ?? 0,
  );

describe('METRICS_PORT', () => {
  it('serves the metrics on a port of their own, behind the same token rule', async () => {
    const databaseUrl = await isolatedDatabase('metrics_port');
    const metricsPort = await freePort();
    const config = testConfig(
      newPrefix(),
      { PORT: '0', HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), METRICS_TOKEN: 'metrics-token-0123456789' },
      databaseUrl,
    );
    const running = await startServer(config, { log: createLogger('silent'), port: 0 });
    try {
      const scrape = request(`http://127.0.0.1:${metricsPort}`);
      await scrape.get('/metrics').expect(401);
      const ok = await scrape.get('/metrics').set('Authorization', 'Bearer metrics-token-0123456789').expect(200);
      expect(parseExposition(ok.text).some((f) => f.name === 'scope_auth_token_exchanges_total')).toBe(true);
      await scrape.get('/elsewhere').expect(404);
    } finally {
      await running.shutdown();
    }
  });

  it('with WORKERS=2, sums every worker in one scrape of the primary', async () => {
    await ensureBuilt('server');
    const [port, metricsPort] = [await freePort(), await freePort()];
    const env = {
      ...(await cliEnv('metrics_cluster')),
      RATE_LIMIT_ENABLED: 'false',
      WORKERS: '2',
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
    };
    const boot = await new Promise<{ org_id: string; key_id: string; secret: string }>((resolve, reject) => {
      const c = spawn('node', [CLI, 'bootstrap', '--org-name', 'M', '--json'], { env });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.once('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out) as { org_id: string; key_id: string; secret: string })
          : reject(new Error(`bootstrap exited ${code}`)),
      );
    });
    const server = trackChild(spawn('node', [CLI, 'serve'], { env }));
    try {
      const api = request(`http://127.0.0.1:${port}`);
      await waitFor(async () => (await api.get('/readyz').catch(() => ({ status: 0 }))).status === 200, 15_000, 'the cluster to serve');
      // New connections each time, so the kernel spreads them over both workers.
      for (let i = 0; i < 20; i++) await api.post('/v1/token').set('Connection', 'close').send(boot).expect(200);
      const scrape = await request(`http://127.0.0.1:${metricsPort}`).get('/metrics').expect(200);
      expect(issued(scrape.text)).toBe(20);
      // The exchange-duration histogram, summed bucket by bucket over both workers.
      const duration = parseExposition(scrape.text).find((f) => f.name === 'scope_auth_token_exchange_duration_seconds')?.metrics[0];
      expect(Number(duration?.count)).toBe(20);
      expect(duration?.buckets?.['+Inf']).toBe('20');
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });
});
