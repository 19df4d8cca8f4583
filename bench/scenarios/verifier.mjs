// SDK verifier throughput against plain jose, on one core, with real tokens of the service
// (bench/verifier-worker.mjs does the measuring in a process of its own).
import { fork } from 'node:child_process';
import { tokenFor } from '../lib/client.mjs';
import { pickKeys } from '../lib/dataset.mjs';
import { startService, trackHelper } from '../lib/processes.mjs';
import { verifierTarget } from '../lib/service-env.mjs';
import { formatSpread, spread, verdict } from '../lib/stats.mjs';

const SEEN_TARGET = 50;
const FIRST_SEEN_TARGET = 0.95;
const WORKER = new URL('../verifier-worker.mjs', import.meta.url).pathname;
const MEMORY_WORKER = new URL('../../sdk/bench/cache-memory.mjs', import.meta.url).pathname;

function measure(job, worker = WORKER, execArgv = []) {
  return new Promise((resolve, reject) => {
    const child = trackHelper(fork(worker, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    let answer;
    child.once('message', (m) => (answer = m));
    child.once('error', reject);
    child.once('exit', (code) =>
      answer ? resolve(answer.results ?? answer.result) : reject(new Error(`verifier worker exited with ${code}`)),
    );
    child.send(job);
  });
}

export async function verifierScenario({ dataset, settings: s, report, log }) {
  const server = await startService(dataset, { workers: 1, name: 'service-verifier' });
  let results;
  try {
    const keys = await pickKeys(dataset, s.verifierTokens);
    const tokens = [];
    for (const key of keys) tokens.push(await tokenFor(server.url, key));
    log(
      `verifier: ${tokens.length.toLocaleString('en')} tokens, ${s.verifierRounds} runs of ${s.verifierRoundMs} ms per contender in ${s.verifierSlices} turns`,
    );
    results = await measure({
      ...verifierTarget(server.url, dataset),
      tokens,
      roundMs: s.verifierRoundMs,
      rounds: s.verifierRounds,
      slices: s.verifierSlices,
    });
  } finally {
    await server.stop();
  }
  report.row('verifier', 'plain jose jwtVerify, 1 core: verifies/s', formatSpread(spread(results.jose)));
  for (const [name, label, target] of [
    ['sdkRedis', 'seen, Redis source', SEEN_TARGET],
    ['sdkSse', 'seen, HTTP stream source', SEEN_TARGET],
    ['sdkFirstSeen', 'first-seen, HTTP stream source', FIRST_SEEN_TARGET],
  ]) {
    report.row('verifier', `SDK verifier (${label}): verifies/s`, formatSpread(spread(results[name])));
    const ratio = spread(results[name].map((x, i) => x / results.jose[i]));
    report.row('verifier', `SDK verifier (${label}) / jose`, formatSpread(ratio, 3), `≥ ${target}`, verdict(ratio.median >= target));
  }
  // The verified-token cache under distinct tokens: the heap stops growing once it is full.
  log(`verifier: cache memory over ${s.verifierDistinct.toLocaleString('en')} distinct tokens`);
  const memory = await measure({ distinct: s.verifierDistinct }, MEMORY_WORKER, ['--expose-gc']);
  const full = memory.points.find((p) => p.tokens >= 10_000) ?? memory.points[0];
  const last = memory.points.at(-1);
  report.row(
    'verifier',
    `verified-token cache: heap after ${full.tokens.toLocaleString('en')} / ${last.tokens.toLocaleString('en')} distinct tokens, MB`,
    `${full.heapMb} / ${last.heapMb}`,
    'bounded',
    verdict(last.heapMb <= full.heapMb * 1.5 + 5),
  );
  report.data('verifier', { ...results, cacheMemory: memory });
}
