// What observability costs (issue 20): exchange throughput with metrics and usage counting on (the
// default) against both off, in the same run; tracing off against the build before tracing existed
// (BENCH_BASELINE_REF) and against tracing on, exporting to a local OTLP sink; and the time of a
// GET /metrics scrape once every family has values, on one process and through a cluster primary.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { revokeKey, tokenFor } from '../lib/client.mjs';
import { createScratchOrg, pickKeys } from '../lib/dataset.mjs';
import { jsonExchangeRequests, runInTurns } from '../lib/load.mjs';
import { freePort, startService } from '../lib/processes.mjs';
import { formatSpread, median, percentile, spread, verdict } from '../lib/stats.mjs';
import { warmUp } from '../lib/warmup.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const RATIO_TARGET = 0.95;
const TRACING_OFF_TARGET = 0.97;
const SCRAPE_TARGET_MS = 20;
const OFF = { METRICS_ENABLED: 'false', USAGE_ENABLED: 'false' };

/** An OTLP/HTTP receiver that accepts and drops every batch (what tracing on costs the service, not a collector). */
async function startSink() {
  let batches = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      batches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, batches: () => batches, close: () => server.close() };
}

/** CPU time (user + system) a process has used, in ms (/proc clock ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** `ref` built once into the temp directory (git archive + tsc, node_modules shared); its CLI path. */
function buildBaseline(ref, log) {
  const sha = execFileSync('git', ['rev-parse', '--short=12', ref], { cwd: ROOT }).toString().trim();
  const dir = `${tmpdir()}/scope-auth-bench-baseline-${sha}`;
  if (!existsSync(`${dir}/dist/src/cli.js`)) {
    log(`  building ${ref} (${sha}) into ${dir}`);
    mkdirSync(dir, { recursive: true });
    execSync(`git archive ${sha} src migrations package.json tsconfig.json tsconfig.build.json | tar -x -C ${dir}`, { cwd: ROOT });
    if (!existsSync(`${dir}/node_modules`)) symlinkSync(`${ROOT}node_modules`, `${dir}/node_modules`);
    execFileSync(`${ROOT}node_modules/.bin/tsc`, ['-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
  }
  return { sha, cli: `${dir}/dist/src/cli.js` };
}

/** Traffic that gives every metric family values: refusals of several kinds, other routes, a revocation. */
async function populateEveryFamily(url, dataset, keys) {
  for (const k of keys.slice(0, 20)) {
    for (const body of [
      { org_id: k.orgId, key_id: k.keyId, secret: keys[keys.length - 1].secret }, // wrong secret
      { org_id: k.orgId, key_id: `key_${'0'.repeat(26)}`, secret: k.secret }, // unknown key
      { org_id: k.orgId, key_id: k.keyId }, // malformed request
    ]) {
      const res = await fetch(`${url}/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
    }
  }
  for (const path of ['/healthz', '/readyz', '/.well-known/jwks.json', '/.well-known/openid-configuration', '/nowhere'])
    await (await fetch(`${url}${path}`)).arrayBuffer();
  const scratch = await createScratchOrg(dataset, 2);
  await revokeKey(url, await tokenFor(url, scratch.admin), scratch.keys[0].keyId);
}

/** `count` scrapes one after another; the time of each, request to last byte, in ms. */
async function timeScrapes(url, count) {
  const times = [];
  let families = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    const text = await res.text();
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    families = (text.match(/^# TYPE /gm) ?? []).length;
  }
  return { p50: median(times), p99: percentile(times, 99), max: Math.max(...times), families };
}

async function measureThroughput({ dataset, s, log, requests, sink, baseline }) {
  const runs = {};
  const cpu = {};
  for (let r = 0; r < s.runs; r++) {
    // Fresh processes every round, as in the exchange scenario.
    const servers = {
      on: await startService(dataset, { name: 'obs-metrics-usage-on' }),
      off: await startService(dataset, { name: 'obs-metrics-usage-off', extraEnv: OFF }),
      traced: await startService(dataset, {
        name: 'obs-tracing-on',
        extraEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: '1000' },
      }),
      ...(baseline ? { baseline: await startService(dataset, { name: `obs-baseline-${baseline.sha}`, cli: baseline.cli }) } : {}),
    };
    try {
      for (const server of Object.values(servers)) await warmUp(server, requests, 1);
      // Again, once all are up: a service warmed up first and then left idle while its neighbours start
      // ran its first turns at half speed (docs/PERFORMANCE.md, "The service's first turn after the
      // others' warm-up"); here that was whichever contender started first, run after run.
      for (const server of Object.values(servers)) await warmUp(server, requests, 1);
      const names = Object.keys(servers);
      const order = r % 2 ? [...names].reverse() : names;
      // CPU per exchange holds on a busy machine, where req/s follows what else runs at that moment.
      const cpuBefore = Object.fromEntries(names.map((n) => [n, cpuMs(servers[n].pid)]));
      const results = await runInTurns(
        order.map((name) => ({ name, url: servers[name].url, requests })),
        { what: 'observability' },
      );
      results.forEach((res, i) => {
        const name = order[i];
        const cpuUs = ((cpuMs(servers[name].pid) - cpuBefore[name]) * 1000) / res.ok;
        (runs[name] ??= []).push(res.rps);
        (cpu[name] ??= []).push(cpuUs);
        log(`  run ${r + 1}/${s.runs} ${name}: ${Math.round(res.rps)} req/s, ${Math.round(cpuUs)} µs CPU per exchange`);
      });
    } finally {
      await Promise.all(Object.values(servers).map((srv) => srv.stop()));
    }
  }
  return { runs, cpu };
}

async function measureScrapes({ dataset, s, log, keys, requests }) {
  const scrapes = {};
  for (const w of [...new Set([1, s.workers.at(-1)])]) {
    // With several processes the primary answers on METRICS_PORT, asking every worker (prom-client's cluster aggregation).
    const metricsPort = w > 1 ? await freePort() : undefined;
    const server = await startService(dataset, {
      name: `obs-scrape-w${w}`,
      workers: w,
      extraEnv: metricsPort ? { METRICS_PORT: String(metricsPort) } : {},
    });
    try {
      await warmUp(server, requests, w);
      await populateEveryFamily(server.url, dataset, keys);
      const url = metricsPort ? `http://127.0.0.1:${metricsPort}/metrics` : `${server.url}/metrics`;
      scrapes[w] = await timeScrapes(url, s.scrapes);
      log(`  scrape w${w}: p50 ${scrapes[w].p50.toFixed(2)} ms, p99 ${scrapes[w].p99.toFixed(2)} ms, ${scrapes[w].families} families`);
    } finally {
      await server.stop();
    }
  }
  return scrapes;
}

export async function observabilityScenario({ dataset, settings: s, report, log }) {
  const keys = await pickKeys(dataset, Math.min(s.exchangeKeys, dataset.keys));
  const requests = jsonExchangeRequests(keys);
  const baseline = s.baselineRef ? buildBaseline(s.baselineRef, log) : undefined;
  log(`observability: ${s.runs} runs x ${s.durationSeconds} s, JSON, 1 process${baseline ? `, baseline ${baseline.sha}` : ''}`);
  const sink = await startSink();
  let runs;
  let cpu;
  try {
    ({ runs, cpu } = await measureThroughput({ dataset, s, log, requests, sink, baseline }));
  } finally {
    sink.close();
  }
  const row = (measure, value, target, result) => report.row('observability', measure, value, target, result);
  const ratio = (a, b) => spread(runs[a].map((x, i) => x / runs[b][i]));
  row('JSON, 1 process: metrics and usage on (default), req/s', formatSpread(spread(runs.on)));
  row('JSON, 1 process: metrics and usage off, req/s', formatSpread(spread(runs.off)));
  const onOff = ratio('on', 'off');
  row('JSON, 1 process: metrics and usage on / off', formatSpread(onOff, 2), `≥ ${RATIO_TARGET}`, verdict(onOff.median >= RATIO_TARGET));
  const cpuRatio = spread(cpu.off.map((x, i) => x / cpu.on[i]));
  row(
    'JSON, 1 process: CPU µs per exchange, metrics and usage on / off',
    `${formatSpread(spread(cpu.on))} / ${formatSpread(spread(cpu.off))}`,
  );
  row('JSON, 1 process: metrics and usage on / off, by CPU per exchange (off / on)', formatSpread(cpuRatio, 2));
  row('JSON, 1 process: tracing on (OTLP to a local sink), req/s', formatSpread(spread(runs.traced)));
  row('JSON, 1 process: tracing on / off', formatSpread(ratio('traced', 'on'), 2));
  if (baseline) {
    const offBase = ratio('on', 'baseline');
    row(`JSON, 1 process: build ${baseline.sha} (before tracing), req/s`, formatSpread(spread(runs.baseline)));
    row(
      `JSON, 1 process: tracing off / build ${baseline.sha}`,
      formatSpread(offBase, 2),
      `≥ ${TRACING_OFF_TARGET}`,
      verdict(offBase.median >= TRACING_OFF_TARGET),
    );
  }

  const scrapes = await measureScrapes({ dataset, s, log, keys, requests });
  for (const [w, r] of Object.entries(scrapes)) {
    const label = w === '1' ? 'GET /metrics, 1 process' : `GET /metrics, ${w} processes (primary sums its workers)`;
    row(`${label}, ${r.families} families: p50 ms`, r.p50.toFixed(2));
    row(`${label}: p99 ms of ${s.scrapes}`, r.p99.toFixed(2), `< ${SCRAPE_TARGET_MS} ms`, verdict(r.p99 < SCRAPE_TARGET_MS));
  }
  report.data('observability', { runs, cpu_us_per_exchange: cpu, baseline: baseline?.sha, scrapes, sink_batches: sink.batches() });
}
