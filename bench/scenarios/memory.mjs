// Resident memory of one service process over BENCH_MEMORY_EXCHANGES exchanges (10,000 keys in
// turn). RSS is polled twice a second; each step of exchanges is summed up by the median of its
// polls (one reading moves by ±20 MB with the garbage collector's timing) and their maximum. The
// step that ends at BENCH_MEMORY_FIRST_SAMPLE exchanges is compared with the last one. Also: the
// largest RSS any service process reached in the whole bench.
import { pickKeys } from '../lib/dataset.mjs';
import { assertClean, jsonExchangeRequests, runLoad } from '../lib/load.mjs';
import { startService } from '../lib/processes.mjs';
import { median, verdict } from '../lib/stats.mjs';

const GROWTH_TARGET = 0.1;
const RSS_LIMIT_MB = 200;
const POLL_MS = 500;

const mb = (x) => `${x.toFixed(0)} MB`;

export async function memoryScenario({ dataset, settings: s, report, log, rssSamples }) {
  const keys = await pickKeys(dataset, s.keys);
  const requests = jsonExchangeRequests(keys);
  const step = Math.min(Math.ceil(s.memoryFirstSample / 2), s.memoryExchanges);
  log(
    `memory: ${s.memoryExchanges.toLocaleString('en')} exchanges on 1 process, ${keys.length.toLocaleString('en')} keys, RSS summed up every ${step.toLocaleString('en')}`,
  );
  const server = await startService(dataset, { workers: 1, name: 'service-memory' });
  const rss = () => server.rss()[0].mb ?? 0;
  const steps = [{ exchanges: 0, rssMb: rss(), maxMb: rss(), polls: 1 }];
  let polls = [];
  const poll = setInterval(() => polls.push(rss()), POLL_MS);
  try {
    let done = 0;
    while (done < s.memoryExchanges) {
      polls = [];
      const res = assertClean(
        await runLoad({ url: server.url, requests, amount: Math.min(step, s.memoryExchanges - done) }),
        'memory soak',
      );
      polls.push(rss());
      done += res.ok;
      steps.push({ exchanges: done, rssMb: median(polls), maxMb: Math.max(...polls), polls: polls.length, rps: res.rps });
      log(
        `  ${done.toLocaleString('en')} exchanges: RSS median ${mb(median(polls))}, max ${mb(Math.max(...polls))} (${Math.round(res.rps)} req/s)`,
      );
    }
  } finally {
    clearInterval(poll);
    await server.stop();
  }

  const first = steps.find((x) => x.exchanges >= s.memoryFirstSample) ?? steps[1];
  const last = steps.at(-1);
  const growth = last.rssMb / first.rssMb - 1;
  const upTo = (x) => `${(x.exchanges - step).toLocaleString('en')}–${x.exchanges.toLocaleString('en')}`;
  report.row('memory', `RSS, 1 process, exchanges ${upTo(first)}: median / max`, `${mb(first.rssMb)} / ${mb(first.maxMb)}`);
  report.row('memory', `RSS, 1 process, exchanges ${upTo(last)}: median / max`, `${mb(last.rssMb)} / ${mb(last.maxMb)}`);
  report.row(
    'memory',
    `RSS growth ${first.exchanges.toLocaleString('en')} → ${last.exchanges.toLocaleString('en')} exchanges (medians)`,
    `${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%`,
    `≤ ${GROWTH_TARGET * 100}%${last.exchanges < 1_000_000 ? ' (target: to 1,000,000)' : ''}`,
    verdict(growth <= GROWTH_TARGET),
  );
  // Every service process the bench ran: after the exchange and scale scenarios, and the soak's peak.
  const others = rssSamples.flatMap((r) => Object.values(r.rss).flat()).map((p) => p.mb ?? 0);
  const largest = Math.max(...steps.map((x) => x.maxMb), ...others);
  report.row('memory', 'largest RSS of any service process', mb(largest), `< ${RSS_LIMIT_MB} MB`, verdict(largest < RSS_LIMIT_MB));
  report.data('memory', { step, steps, other_processes_mb: others });
}
