// Token exchange: the real service against the in-memory ceiling, JSON and client_credentials
// with HTTP Basic, with 1 and N processes; then the latency of each at 80% of its own peak.
import { pickKeys } from '../lib/dataset.mjs';
import { assertClean, EXCHANGE_FORMATS, runInTurns, runLoad } from '../lib/load.mjs';
import { startCeiling, startService } from '../lib/processes.mjs';
import { formatSpread, median, spread, verdict } from '../lib/stats.mjs';
import { warmUp } from '../lib/warmup.mjs';

const THROUGHPUT_TARGET = 0.9;
const LATENCY_TARGET_MS = 10;
const LATENCY_LOAD = 0.8;
const FORMAT_LABEL = { json: 'JSON /v1/token', basic: 'Basic /oauth/token' };
const IMPLS = ['service', 'ceiling'];
// Rate limits on, each limit raised so that nothing is refused: what the limiting itself costs.
export const RAISED_LIMITS = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_TOKEN_PER_IP: '1000000',
  RATE_LIMIT_TOKEN_PER_KEY: '1000000',
  RATE_LIMIT_FAILED_PER_IP_KEY: '10000',
};

const procs = (w) => `${w} process${w > 1 ? 'es' : ''}`;

async function startAll(dataset, s, log) {
  const servers = {};
  for (const w of s.workers) {
    servers[`service-w${w}`] = await startService(dataset, { workers: w });
    servers[`ceiling-w${w}`] = await startCeiling(dataset, { workers: w });
    if (s.rateLimited && w === 1)
      servers[`limited-w${w}`] = await startService(dataset, {
        workers: w,
        name: `service-limited-${dataset.keys}-w${w}`,
        extraEnv: RAISED_LIMITS,
      });
    log(`  started service${servers[`limited-w${w}`] ? ', service with rate limits' : ''} and ceiling with ${procs(w)}`);
  }
  return servers;
}

/** The servers compared: the rate-limited service only on JSON with 1 process (its cost per exchange). */
const implsFor = (fmt, w, s) => (fmt === 'json' && w === 1 && s.rateLimited ? [...IMPLS, 'limited'] : IMPLS);

/**
 * One round of throughput runs, interleaved: for each (workers, format) the servers take turns
 * (bench/lib/load.mjs `runInTurns`), and the first of them alternates from round to round. With the
 * latency scenario, each round ends with a paced run at 80% of the service's JSON throughput of
 * that same round (a peak measured minutes earlier may no longer hold on a shared machine).
 * Results are added to `runs` and `latency`.
 */
async function measureRound({ r, servers, requests, s, log, runs, latency }) {
  for (const w of s.workers) {
    for (const fmt of Object.keys(EXCHANGE_FORMATS)) {
      const order = r % 2 ? [...implsFor(fmt, w, s)].reverse() : implsFor(fmt, w, s);
      const names = order.map((impl) => `${impl}-w${w}`);
      const results = await runInTurns(
        names.map((name) => ({ name, url: servers[name].url, requests: requests[fmt] })),
        { what: fmt },
      );
      results.forEach((res, i) => {
        (runs[`${names[i]}-${fmt}`] ??= []).push(res);
        log(`  run ${r + 1}/${s.runs} ${names[i]} ${fmt}: ${Math.round(res.rps)} req/s (turns ${res.turnsRps.map(Math.round).join(', ')})`);
      });
    }
    if (s.scenarios.includes('latency')) {
      // The ceiling too, at 80% of its own peak: what this machine allows any express + jose server.
      const order = r % 2 ? [...IMPLS].reverse() : IMPLS;
      for (const impl of order) {
        const rate = Math.round(LATENCY_LOAD * runs[`${impl}-w${w}-json`].at(-1).rps);
        const res = assertClean(
          await runLoad({ url: servers[`${impl}-w${w}`].url, requests: requests.json, pacedRate: rate }),
          `latency ${impl} w${w}`,
        );
        ((latency[impl] ??= {})[w] ??= []).push({ ...res, rate });
        log(
          `  run ${r + 1}/${s.runs} ${impl}-w${w} paced at ${rate} req/s: p50 ${res.latencyMs.p50.toFixed(1)} ms, p99 ${res.latencyMs.p99.toFixed(1)} ms`,
        );
      }
    }
  }
}

export async function exchangeScenario({ dataset, settings: s, report, log }) {
  const keys = await pickKeys(dataset, Math.min(s.exchangeKeys, dataset.keys));
  const requests = Object.fromEntries(Object.entries(EXCHANGE_FORMATS).map(([fmt, build]) => [fmt, build(keys)]));
  log(
    `exchange: ${keys.length.toLocaleString('en')} keys (database of ${dataset.keys.toLocaleString('en')}), ${s.runs} runs x ${s.durationSeconds} s, ${s.connections} connections`,
  );
  const runs = {};
  const latency = {};
  const rss = {};
  for (let r = 0; r < s.runs; r++) {
    // Fresh processes every round: what a process's JIT made of the hot path lasts for its whole
    // life. Runs on the same processes agreed within a few percent while the same ratio moved from
    // 0.74 to 0.90 between bench invocations; the median of rounds now samples that too.
    const servers = await startAll(dataset, s, log);
    try {
      for (const [name, server] of Object.entries(servers)) {
        await warmUp(server, requests.json, Number(name.split('-w')[1]), { fillCaches: !name.startsWith('ceiling') });
      }
      log(`  round ${r + 1}/${s.runs}: servers started and warmed up`);
      await measureRound({ r, servers, requests, s, log, runs, latency });
      for (const [name, server] of Object.entries(servers)) rss[`${name}#${r + 1}`] = server.rss();
    } finally {
      await Promise.all(Object.values(servers).map((srv) => srv.stop()));
    }
  }
  const peak = {};
  for (const w of s.workers) {
    for (const fmt of Object.keys(EXCHANGE_FORMATS)) {
      const svc = runs[`service-w${w}-${fmt}`];
      const ceil = runs[`ceiling-w${w}-${fmt}`];
      const ratios = spread(svc.map((x, i) => x.rps / ceil[i].rps));
      const label = `${FORMAT_LABEL[fmt]}, ${procs(w)}`;
      report.row('exchange', `${label}: service req/s`, formatSpread(spread(svc.map((x) => x.rps))));
      report.row('exchange', `${label}: ceiling req/s`, formatSpread(spread(ceil.map((x) => x.rps))));
      report.row(
        'exchange',
        `${label}: service / ceiling`,
        formatSpread(ratios, 2),
        `≥ ${THROUGHPUT_TARGET}`,
        verdict(ratios.median >= THROUGHPUT_TARGET),
      );
      const limited = runs[`limited-w${w}-${fmt}`];
      if (limited) {
        report.row('exchange', `${label}: service, rate limits on (raised), req/s`, formatSpread(spread(limited.map((x) => x.rps))));
        report.row('exchange', `${label}: rate limits on / off`, formatSpread(spread(limited.map((x, i) => x.rps / svc[i].rps)), 2));
      }
    }
    peak[w] = median(runs[`service-w${w}-json`].map((x) => x.rps));
  }
  const [w1, wN] = [s.workers[0], s.workers.at(-1)];
  if (wN !== w1) {
    for (const impl of IMPLS) {
      const a = runs[`${impl}-w${w1}-json`];
      const b = runs[`${impl}-w${wN}-json`];
      report.row('exchange', `JSON, ${impl}: ${wN} / ${w1} processes`, formatSpread(spread(b.map((x, i) => x.rps / a[i].rps)), 2));
    }
  }

  for (const w of Object.keys(latency.service ?? {})) {
    for (const impl of IMPLS) {
      const list = latency[impl][w];
      const p99 = spread(list.map((x) => x.latencyMs.p99));
      const rate = formatSpread(spread(list.map((x) => x.rate)));
      const label = `JSON, ${procs(Number(w))}, ${impl} paced at ${Math.round(LATENCY_LOAD * 100)}% of its peak (${rate} req/s)`;
      report.row('latency', `${label}: p50 ms`, formatSpread(spread(list.map((x) => x.latencyMs.p50)), 1));
      if (impl === 'service')
        report.row(
          'latency',
          `${label}: p99 ms`,
          formatSpread(p99, 1),
          `< ${LATENCY_TARGET_MS} ms`,
          verdict(p99.median < LATENCY_TARGET_MS),
        );
      else report.row('latency', `${label}: p99 ms (reference)`, formatSpread(p99, 1));
    }
  }

  report.data('exchange', { runs, latency, peak, rss_after_mb: rss });
  return { rss };
}
