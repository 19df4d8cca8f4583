// `GET /v1/keys?limit=100` over an organisation of BENCH_LIST_KEYS keys: one client walking every
// page with the cursor (latency per page, first to last), then pages at random depths under load.
import { listPage, tokenFor } from '../lib/client.mjs';
import { assertClean, runLoad } from '../lib/load.mjs';
import { startService } from '../lib/processes.mjs';
import { formatSpread, percentile, spread } from '../lib/stats.mjs';

const PAGE = 100;

async function walk(url, adminToken) {
  const latencies = [];
  const cursors = [undefined];
  let keys = 0;
  for (let cursor; ;) {
    const t = performance.now();
    const page = await listPage(url, adminToken, cursor, PAGE);
    latencies.push(performance.now() - t);
    if (page.status !== 200) throw new Error(`GET /v1/keys answered ${page.status}`);
    keys += page.count;
    if (!page.next) break;
    cursors.push((cursor = page.next));
  }
  return { latencies, cursors, keys };
}

export async function listScenario({ dataset, settings: s, report, log }) {
  const workers = s.workers.at(-1);
  const server = await startService(dataset, { workers, name: `service-list-w${workers}` });
  try {
    const adminToken = await tokenFor(server.url, dataset.admin);
    log(`list: walking ${dataset.keys.toLocaleString('en')} keys, ${PAGE} per page`);
    await walk(server.url, adminToken); // warm-up: JIT, and Postgres buffers
    const { latencies, cursors, keys } = await walk(server.url, adminToken);
    if (keys !== dataset.keys + 1) throw new Error(`walked ${keys} keys, expected ${dataset.keys + 1}`);
    const ms = (p) => percentile(latencies, p).toFixed(1);
    report.row(
      'list',
      `walk ${cursors.length.toLocaleString('en')} pages of ${PAGE} (${keys.toLocaleString('en')} keys), 1 client`,
      `p50 ${ms(50)} / p99 ${ms(99)} / max ${Math.max(...latencies).toFixed(1)} ms`,
    );

    // Shuffled so that concurrent connections ask for different depths.
    const requests = cursors
      .map((c) => ({
        method: 'GET',
        path: `/v1/keys?limit=${PAGE}${c ? `&cursor=${c}` : ''}`,
        headers: { authorization: `Bearer ${adminToken}` },
        body: undefined,
        order: Math.random(),
      }))
      .sort((x, y) => x.order - y.order);
    const runs = [];
    for (let r = 0; r < s.runs; r++) {
      runs.push(assertClean(await runLoad({ url: server.url, requests }), 'list pages'));
      log(`  run ${r + 1}/${s.runs}: ${Math.round(runs.at(-1).rps)} pages/s`);
    }
    report.row(
      'list',
      `pages at random depth, ${workers} processes, ${s.connections} connections: pages/s`,
      formatSpread(spread(runs.map((x) => x.rps))),
    );
    report.row('list', 'pages at random depth under that load: p99 ms', formatSpread(spread(runs.map((x) => x.latencyMs.p99)), 1));
    report.data('list', { walk_ms: latencies, runs });
  } finally {
    await server.stop();
  }
}
