// Resident memory of one service process over BENCH_MEMORY_EXCHANGES exchanges (10,000 keys in
// turn), sampled after BENCH_MEMORY_FIRST_SAMPLE exchanges and after each further step; and the
// largest RSS any service process reached in the whole bench.
import { pickKeys } from '../lib/dataset.mjs';
import { assertClean, jsonExchangeRequests, runLoad } from '../lib/load.mjs';
import { startService } from '../lib/processes.mjs';
import { verdict } from '../lib/stats.mjs';

const GROWTH_TARGET = 0.1;
const RSS_LIMIT_MB = 200;
const POLL_MS = 1_000;

const mb = (x) => `${x.toFixed(0)} MB`;

export async function memoryScenario({ dataset, settings: s, report, log, rssSamples }) {
  const keys = await pickKeys(dataset, s.keys);
  const requests = jsonExchangeRequests(keys);
  const step = Math.min(s.memoryFirstSample, s.memoryExchanges);
  log(`memory: ${s.memoryExchanges.toLocaleString('en')} exchanges on 1 process, RSS sampled every ${step.toLocaleString('en')}`);
  const server = await startService(dataset, { workers: 1, name: 'service-memory' });
  const samples = [{ exchanges: 0, rssMb: server.rss()[0].mb }];
  let peak = samples[0].rssMb;
  const poll = setInterval(() => (peak = Math.max(peak, server.rss()[0].mb ?? 0)), POLL_MS);
  try {
    let done = 0;
    while (done < s.memoryExchanges) {
      const amount = Math.min(step, s.memoryExchanges - done);
      const res = assertClean(await runLoad({ url: server.url, requests, amount }), 'memory soak');
      done += res.ok;
      const rssMb = server.rss()[0].mb;
      peak = Math.max(peak, rssMb);
      samples.push({ exchanges: done, rssMb, rps: res.rps });
      log(`  ${done.toLocaleString('en')} exchanges: RSS ${mb(rssMb)} (${Math.round(res.rps)} req/s)`);
    }
  } finally {
    clearInterval(poll);
    await server.stop();
  }

  const first = samples[1];
  const last = samples.at(-1);
  const growth = last.rssMb / first.rssMb - 1;
  report.row('memory', `RSS after ${first.exchanges.toLocaleString('en')} exchanges`, mb(first.rssMb));
  report.row('memory', `RSS after ${last.exchanges.toLocaleString('en')} exchanges`, mb(last.rssMb));
  report.row(
    'memory',
    `RSS growth ${first.exchanges.toLocaleString('en')} → ${last.exchanges.toLocaleString('en')} exchanges`,
    `${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%`,
    `≤ ${GROWTH_TARGET * 100}%${last.exchanges < 1_000_000 ? ' (target: to 1,000,000)' : ''}`,
    verdict(growth <= GROWTH_TARGET),
  );
  // Every service process the bench ran: after the exchange and scale scenarios, and the soak's peak.
  const others = rssSamples.flatMap((r) => Object.values(r.rss).flat()).map((p) => p.mb ?? 0);
  const largest = Math.max(peak, ...others);
  report.row('memory', 'largest RSS of any service process', mb(largest), `< ${RSS_LIMIT_MB} MB`, verdict(largest < RSS_LIMIT_MB));
  report.data('memory', { samples, peak_mb: peak, other_processes_mb: others });
}
