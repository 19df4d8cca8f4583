// Embedded mode (no DATABASE_URL, no REDIS_URL) against server mode (Postgres + Redis), one process
// each, same machine: exchange throughput and its ratio (target ≥ 0.8), start-up to ready on a new
// and on an existing store (target ≤ 3 s on an existing one), and RSS. Run alone:
//   BENCH_SCENARIOS=embedded BENCH_QUICK=1 npm run bench
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { rssMb, trackHelper } from '../lib/processes.mjs';
import { BENCH_KEK, BENCH_PEPPER } from '../lib/service-env.mjs';

const run = promisify(execFile);
const CLI = new URL('../../dist/src/cli.js', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function serve(env, nodeFlags) {
  const port = await freePort();
  const t0 = performance.now();
  const child = trackHelper(
    spawn(process.execPath, [...nodeFlags, CLI, 'serve', '--migrate'], { env: { ...env, PORT: String(port) }, stdio: 'ignore' }),
  );
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`embedded bench: server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await sleep(20);
  }
  const readyMs = performance.now() - t0;
  const stop = async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, port, child, readyMs, stop };
}

async function exchangeRate(url, creds, settings) {
  const body = JSON.stringify(creds);
  const opts = {
    url: `${url}/v1/token`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: settings.connections,
  };
  await autocannon({ ...opts, duration: settings.warmupSeconds });
  const result = await autocannon({ ...opts, duration: settings.durationSeconds });
  if (result.non2xx > 0) throw new Error(`embedded bench: ${result.non2xx} exchanges refused`);
  return result.requests.average;
}

async function measureMode(name, env, settings, log) {
  let s = await serve(env, settings.nodeFlags);
  const firstMs = s.readyMs;
  await s.stop();
  s = await serve(env, settings.nodeFlags);
  try {
    const { stdout } = await run(process.execPath, [CLI, 'bootstrap', '--org-name', `bench-${name}`, '--json'], {
      env: { ...env, PORT: String(s.port) },
    });
    const rate = await exchangeRate(s.url, JSON.parse(stdout), settings);
    const rss = rssMb(s.child.pid);
    log(
      `${name}: ${rate.toFixed(0)} exchanges/s, ready in ${firstMs.toFixed(0)} ms (first) / ${s.readyMs.toFixed(0)} ms (restart), RSS ${rss?.toFixed(0)} MB`,
    );
    return { rate, firstMs, restartMs: s.readyMs, rssMb: rss };
  } finally {
    await s.stop();
  }
}

export async function embeddedScenario({ settings, report, log }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'scope-auth-bench-embedded-'));
  const common = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    ISSUER: 'https://auth.bench.test',
    HOST: '127.0.0.1',
    SECRET_PEPPER: BENCH_PEPPER,
    KEY_ENCRYPTION_KEY: BENCH_KEK,
    RATE_LIMIT_TOKEN_PER_IP: '1000000',
    RATE_LIMIT_TOKEN_PER_KEY: '1000000',
    LOG_LEVEL: 'warn',
  };
  const dbUrl = new URL(settings.databaseUrl);
  dbUrl.pathname = `${dbUrl.pathname.replace(/\/+$/, '')}_embedded_cmp`;
  const admin = new pg.Client({ connectionString: Object.assign(new URL(dbUrl), { pathname: '/postgres' }).toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbUrl.pathname.slice(1)}" WITH (FORCE)`);
  await admin.end();
  try {
    log('embedded: embedded store against Postgres + Redis, one process each');
    const embedded = await measureMode('embedded', { ...common, DATA_DIR: dataDir }, settings, log);
    const server = await measureMode(
      'server',
      { ...common, DATABASE_URL: dbUrl.toString(), REDIS_URL: settings.redisUrl, REDIS_KEY_PREFIX: `${settings.redisPrefix}embedded-cmp:` },
      settings,
      log,
    );
    const ratio = embedded.rate / server.rate;
    report.row('embedded', 'exchanges/s, embedded (1 process)', embedded.rate.toFixed(0));
    report.row('embedded', 'exchanges/s, Postgres + Redis (1 process)', server.rate.toFixed(0));
    report.row('embedded', 'throughput ratio embedded/server', ratio.toFixed(2), '≥ 0.8', ratio >= 0.8 ? 'PASS' : 'MISS');
    report.row('embedded', 'start to ready, new store (ms)', embedded.firstMs.toFixed(0));
    report.row(
      'embedded',
      'start to ready, existing store (ms)',
      embedded.restartMs.toFixed(0),
      '≤ 3000',
      embedded.restartMs <= 3000 ? 'PASS' : 'MISS',
    );
    report.row('embedded', 'RSS after load, embedded (MB)', embedded.rssMb?.toFixed(0) ?? '?');
    report.row('embedded', 'RSS after load, server mode (MB)', server.rssMb?.toFixed(0) ?? '?');
    report.data('embedded', { embedded, server, ratio });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
