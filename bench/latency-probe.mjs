// Where the latency tail at 80% of peak comes from:
//   node bench/latency-probe.mjs [service|ceiling] [seconds] [workers] [share of peak, default 0.8]
// Starts one server, fills its cache, finds its peak with autocannon, then sends JSON exchanges
// open-loop at 80% (or the given share) of that peak and prints the tail, and the stalls: runs of requests that took
// over 10 ms, with when they started, so that a periodic cause (GC, a timer) shows its period.
// With BENCH_NODE_FLAGS="--trace-gc ..." the server's GC lines land in bench/results/logs/.
import { ensureDataset, pickKeys } from './lib/dataset.mjs';
import { assertClean, jsonExchangeRequests, runLoad } from './lib/load.mjs';
import { startCeiling, startService, stopAllOnExit } from './lib/processes.mjs';
import { settings } from './lib/settings.mjs';
import { warmUp } from './lib/warmup.mjs';

const [kind = 'service', seconds = '20', workersArg = '1', share = '0.8'] = process.argv.slice(2);
const workers = Number(workersArg);
const SLOW_MS = 10;
stopAllOnExit();
const dataset = await ensureDataset(settings.keys);
const keys = await pickKeys(dataset, settings.exchangeKeys);
const requests = jsonExchangeRequests(keys);
const server = kind === 'ceiling' ? await startCeiling(dataset, { workers }) : await startService(dataset, { workers });
await warmUp(server, requests, workers, { fillCaches: kind !== 'ceiling' });
const peak = assertClean(await runLoad({ url: server.url, requests, durationSeconds: settings.durationSeconds }), server.name).rps;
const rate = Math.round(peak * Number(share));
const paced = assertClean(
  await runLoad({ url: server.url, requests, durationSeconds: Number(seconds), pacedRate: rate, keepSamples: true }),
  server.name,
);
await server.stop();

const { p50, p90, p99, max } = paced.latencyMs;
console.log(
  `${server.name}: peak ${Math.round(peak)} req/s; paced at ${rate} req/s for ${seconds} s: p50 ${p50.toFixed(1)} p90 ${p90.toFixed(1)} p99 ${p99.toFixed(1)} max ${max.toFixed(1)} ms`,
);
// samples: [due offset ms, latency ms], in due order.
const samples = paced.samples.sort((a, b) => a[0] - b[0]);
const stalls = [];
for (const [due, latency] of samples) {
  const last = stalls.at(-1);
  if (latency < SLOW_MS) continue;
  if (last && due - last.end < 50) {
    last.end = due;
    last.count++;
    last.worst = Math.max(last.worst, latency);
  } else stalls.push({ start: due, end: due, count: 1, worst: latency });
}
const slow = samples.filter(([, l]) => l >= SLOW_MS).length;
console.log(
  `${slow} of ${samples.length} requests (${((100 * slow) / samples.length).toFixed(2)}%) took ≥ ${SLOW_MS} ms, in ${stalls.length} stalls:`,
);
let previous;
for (const s of stalls) {
  const gap = previous === undefined ? '' : ` (+${((s.start - previous) / 1000).toFixed(2)} s)`;
  console.log(
    `  at ${(s.start / 1000).toFixed(2)} s${gap}: ${s.count} requests over ${(s.end - s.start).toFixed(0)} ms, worst ${s.worst.toFixed(1)} ms`,
  );
  previous = s.start;
}
