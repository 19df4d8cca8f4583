// Where the CPU of an exchange goes, service against ceiling:
//   BENCH_PROFILE=1 node bench/profile.mjs [json|basic] [seconds] [workers]
// (BENCH_PROFILE_LIMITED=1: the service with rate limits on, raised so that nothing is refused;
// BENCH_PROFILE_AGAINST=unobserved: against the service with metrics and usage off, not the ceiling.)
// Starts each server under `node --cpu-prof`, fills its key cache, loads it for the given time and
// stops it; then prints, per package or source file, the main-thread CPU per exchange (µs) of each.
// Profiles stay in bench/results/profiles/ (open them in Chrome DevTools for the call trees).
import { readdirSync, statSync } from 'node:fs';
import { ensureDataset, pickKeys } from './lib/dataset.mjs';
import { assertClean, EXCHANGE_FORMATS, runLoad } from './lib/load.mjs';
import { RAISED_LIMITS } from './scenarios/exchange.mjs';
import { RESULTS_DIR, startCeiling, startService, stopAllOnExit } from './lib/processes.mjs';
import { summariseProfile } from './lib/profile-summary.mjs';
import { settings } from './lib/settings.mjs';
import { warmUp } from './lib/warmup.mjs';

if (!settings.profile) {
  console.error('usage: BENCH_PROFILE=1 node bench/profile.mjs [json|basic] [seconds] [workers]');
  process.exit(2);
}
const [fmt = 'json', seconds = '20', workersArg = '1'] = process.argv.slice(2);
const workers = Number(workersArg);
const top = Number(process.env.BENCH_PROFILE_TOP ?? 30);
stopAllOnExit();
const dataset = await ensureDataset(settings.keys);
// Few keys: the cache warm-up (one Postgres read per key) stays a small part of the profile.
const keys = await pickKeys(dataset, Number(process.env.BENCH_PROFILE_KEYS ?? 1_000));
const requests = EXCHANGE_FORMATS[fmt](keys);
const dir = `${RESULTS_DIR}/profiles`;

async function profileOne(kind) {
  const started = Date.now();
  const extraEnv = process.env.BENCH_PROFILE_LIMITED === '1' ? RAISED_LIMITS : {};
  const server =
    kind === 'ceiling'
      ? await startCeiling(dataset, { workers })
      : await startService(dataset, { workers, extraEnv: kind === 'unobserved' ? { ...extraEnv, ...UNOBSERVED } : extraEnv });
  let exchanges = await warmUp(server, requests, workers, { fillCaches: kind !== 'ceiling' });
  const res = assertClean(await runLoad({ url: server.url, requests, durationSeconds: Number(seconds) }), server.name);
  exchanges += res.ok;
  console.log(`${server.name} ${fmt}: ${Math.round(res.rps)} req/s, p50 ${res.latencyMs.p50} ms, p99 ${res.latencyMs.p99} ms`);
  await server.stop();
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && statSync(`${dir}/${f}`).mtimeMs >= started);
  // With workers, the primary only forwards connections: keep the profiles of the serving processes.
  const summaries = files
    .map((f) => ({ file: `${dir}/${f}`, ...summariseProfile(`${dir}/${f}`, 1_000) }))
    .sort((a, b) => b.seconds * (100 - b.idlePct) - a.seconds * (100 - a.idlePct));
  const serving = summaries.slice(0, workers);
  const busyUs = (entry) => (entry.pct / 100) * serving.reduce((n, s) => n + s.seconds, 0) * 1e6;
  const groups = new Map();
  for (const s of serving) for (const g of s.groups) groups.set(g.name, (groups.get(g.name) ?? 0) + (g.pct / 100) * s.seconds * 1e6);
  const busy = [...groups.values()].reduce((a, b) => a + b, 0);
  return {
    kind,
    exchanges,
    files: serving.map((s) => s.file),
    busyUsPerExchange: busy / exchanges,
    groups: new Map([...groups].map(([k, v]) => [k, v / exchanges])),
    busyUs,
  };
}

const UNOBSERVED = { METRICS_ENABLED: 'false', USAGE_ENABLED: 'false' };
const against = process.env.BENCH_PROFILE_AGAINST === 'unobserved' ? 'unobserved' : 'ceiling';
const service = await profileOne('service');
const ceiling = await profileOne(against);
console.log(
  `\nmain-thread CPU per exchange (µs), ${fmt}, ${workers} process(es); profiles: ${[...service.files, ...ceiling.files].map((f) => f.replace(`${RESULTS_DIR}/`, '')).join(', ')}`,
);
console.log(
  `${'total busy'.padEnd(34)} ${service.busyUsPerExchange.toFixed(0).padStart(7)} ${ceiling.busyUsPerExchange.toFixed(0).padStart(7)}`,
);
const names = [...new Set([...service.groups.keys(), ...ceiling.groups.keys()])].sort(
  (a, b) => (service.groups.get(b) ?? 0) - (ceiling.groups.get(b) ?? 0) - ((service.groups.get(a) ?? 0) - (ceiling.groups.get(a) ?? 0)),
);
console.log(`${'package / file'.padEnd(34)} ${'service'.padStart(7)} ${against.slice(0, 7).padStart(7)} ${'diff'.padStart(7)}`);
for (const name of names.slice(0, top)) {
  const a = service.groups.get(name) ?? 0;
  const b = ceiling.groups.get(name) ?? 0;
  console.log(`${name.slice(0, 34).padEnd(34)} ${a.toFixed(1).padStart(7)} ${b.toFixed(1).padStart(7)} ${(a - b).toFixed(1).padStart(7)}`);
}
