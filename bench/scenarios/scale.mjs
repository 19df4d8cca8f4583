// Exchange throughput against a database of BENCH_KEYS_LARGE keys (1,000,000) compared with one
// of BENCH_KEYS_SMALL keys (1,000): same service, same process count, runs taken in turns.
import { pickKeys } from '../lib/dataset.mjs';
import { assertClean, jsonExchangeRequests, runInTurns, runLoad } from '../lib/load.mjs';
import { startService } from '../lib/processes.mjs';
import { formatSpread, spread, verdict } from '../lib/stats.mjs';
import { warmUp } from '../lib/warmup.mjs';

const TARGET = 0.9;

export async function scaleScenario({ small, large, settings: s, report, log }) {
  const workers = s.workers.at(-1);
  const sets = [];
  for (const dataset of [small, large]) {
    const keys = await pickKeys(dataset, Math.min(s.keysUsed, dataset.keys));
    sets.push({ dataset, keys, requests: jsonExchangeRequests(keys), runs: [] });
  }
  log(`scale: ${small.keys.toLocaleString('en')} vs ${large.keys.toLocaleString('en')} keys in the database, ${workers} processes`);
  const rss = {};
  for (let r = 0; r < s.runs; r++) {
    // Fresh processes every round, and turns within it, as in the exchange scenario.
    const servers = [];
    try {
      const sent = [];
      for (const set of sets) {
        set.server = await startService(set.dataset, { workers });
        servers.push(set.server);
        sent.push(await warmUp(set.server, set.requests, workers));
      }
      // The same traffic before measuring: the cache fill is one exchange per key and process, so
      // the set of 10,000 keys got several times the warm-up of the 1,000-key one, and its JIT
      // state showed as ratios of 1.15–1.69 in favour of the large database.
      const most = Math.max(...sent);
      for (const [i, set] of sets.entries()) {
        // autocannon wants at least one request per connection; a smaller gap does not matter.
        if (most - sent[i] >= s.connections) {
          assertClean(await runLoad({ url: set.server.url, requests: set.requests, amount: most - sent[i] }), `${set.server.name} warm-up`);
        }
      }
      const order = r % 2 ? [...sets].reverse() : sets;
      const results = await runInTurns(
        order.map((set) => ({ name: set.server.name, url: set.server.url, requests: set.requests })),
        { what: 'scale' },
      );
      results.forEach((res, i) => {
        order[i].runs.push(res);
        log(
          `  run ${r + 1}/${s.runs} ${order[i].server.name}: ${Math.round(res.rps)} req/s (turns ${res.turnsRps.map(Math.round).join(', ')})`,
        );
      });
      for (const set of sets) rss[`${set.server.name}#${r + 1}`] = set.server.rss();
    } finally {
      await Promise.all(servers.map((srv) => srv.stop()));
    }
  }
  const [a, b] = sets;
  for (const set of sets) {
    report.row(
      'scale',
      `JSON, ${workers} processes, ${set.dataset.keys.toLocaleString('en')} keys in db (${set.keys.length.toLocaleString('en')} used): req/s`,
      formatSpread(spread(set.runs.map((x) => x.rps))),
    );
  }
  const ratio = spread(b.runs.map((x, i) => x.rps / a.runs[i].rps));
  report.row(
    'scale',
    `${b.dataset.keys.toLocaleString('en')} / ${a.dataset.keys.toLocaleString('en')} keys throughput`,
    formatSpread(ratio, 2),
    `≥ ${TARGET}`,
    verdict(ratio.median >= TARGET),
  );
  report.data('scale', {
    small: { keys: a.dataset.keys, used: a.keys.length, runs: a.runs },
    large: { keys: b.dataset.keys, used: b.keys.length, runs: b.runs },
    rss_after_mb: rss,
  });
  return { rss };
}
