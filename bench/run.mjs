// `npm run bench`: the load benchmarks of scope-auth, on real Postgres and Redis (see
// docs/PERFORMANCE.md). Prints one table with PASS/MISS per target and writes the figures to
// bench/results/. Never fails because a target is missed: only when the harness itself cannot run.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { ensureDataset } from './lib/dataset.mjs';
import { stopAllOnExit } from './lib/processes.mjs';
import { createReport } from './lib/report.mjs';
import { describeSettings, settings } from './lib/settings.mjs';
import { embeddedScenario } from './scenarios/embedded.mjs';
import { exchangeScenario } from './scenarios/exchange.mjs';
import { flushScenario } from './scenarios/flush.mjs';
import { listScenario } from './scenarios/list-keys.mjs';
import { memoryScenario } from './scenarios/memory.mjs';
import { observabilityScenario } from './scenarios/observability.mjs';
import { peopleScenario } from './scenarios/people.mjs';
import { revocationScenario } from './scenarios/revocation.mjs';
import { scaleScenario } from './scenarios/scale.mjs';
import { verifierScenario } from './scenarios/verifier.mjs';

const ROOT = new URL('../', import.meta.url).pathname;
const started = new Date();
const t0 = performance.now();
const log = (msg) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}

function checkBuild() {
  for (const f of ['dist/src/cli.js', 'sdk/dist/index.js']) {
    if (!existsSync(`${ROOT}${f}`)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  if (newestMtime(`${ROOT}src`) > statSync(`${ROOT}dist/src/cli.js`).mtimeMs) {
    log('WARNING: src/ has changed since the last build; the bench measures dist/ (run `npm run build`)');
  }
}

const has = (name) => settings.scenarios.includes(name);

async function main() {
  stopAllOnExit();
  checkBuild();
  console.log('scope-auth bench');
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const [k, v] of Object.entries(describeSettings())) console.log(`  ${k.padEnd(20)} ${v}`);
  const report = createReport();
  const ctx = { settings, report, log };

  if (has('embedded')) await embeddedScenario(ctx);
  // The embedded scenario brings its own stores: the main dataset only for the others.
  if (settings.scenarios.every((s) => s === 'embedded')) return finish(report);
  const main = await ensureDataset(settings.keys, log);
  const rssSamples = [];
  if (has('exchange') || has('latency')) rssSamples.push(await exchangeScenario({ ...ctx, dataset: main }));
  if (has('scale')) {
    const small = await ensureDataset(settings.keysSmall, log);
    const large = await ensureDataset(settings.keysLarge, log);
    rssSamples.push(await scaleScenario({ ...ctx, small, large }));
  }
  if (has('memory')) await memoryScenario({ ...ctx, dataset: main, rssSamples });
  if (has('revocation')) await revocationScenario({ ...ctx, dataset: main });
  if (has('verifier')) await verifierScenario({ ...ctx, dataset: main });
  if (has('list')) await listScenario({ ...ctx, dataset: await ensureDataset(settings.listKeys, log) });
  if (has('people')) await peopleScenario({ ...ctx, dataset: main });
  if (has('observability')) await observabilityScenario({ ...ctx, dataset: main });
  if (has('flush')) await flushScenario({ ...ctx, dataset: main });

  finish(report);
}

function finish(report) {
  const after = loadavg();
  report.note(`load average at the end: ${after.map((x) => x.toFixed(2)).join(' ')} (other work on this machine competes with the bench)`);
  report.print();
  const file = report.write(describeSettings(), started);
  log(`done in ${((performance.now() - t0) / 60_000).toFixed(1)} min; figures written to ${file.replace(ROOT, '')}`);
}

main().catch((err) => {
  console.error(`bench failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
});
