// Whether the usage flush adds latency (issue 20): two services paced at the same rate, at the same
// time (so the machine's own hiccups land on both), both flushing last_used_at every few seconds;
// one also counts usage and flushes it at the same interval. The p99 of each second shows a flush
// as a spike; the usage flush must add none above the last_used_at flush alone.
import { pickKeys } from '../lib/dataset.mjs';
import { assertClean, jsonExchangeRequests, runLoad } from '../lib/load.mjs';
import { startService } from '../lib/processes.mjs';
import { percentile } from '../lib/stats.mjs';
import { warmUp } from '../lib/warmup.mjs';

// Each service is paced at this share of the slower one's solo peak: together about half of what the
// machine can do, so that queueing (at 0.4 each on a busy machine the p99 reached 800 ms on both)
// does not hide the flushes.
const LOAD = 0.25;
// The spike allowed: 25% above the last_used_at flush alone, plus 1 ms (sub-millisecond p99s wobble).
const SPIKE_RATIO = 1.25;
const SPIKE_SLACK_MS = 1;

/** The p99 latency of each whole second of a paced run, from its `[due ms, latency ms]` samples. */
function p99PerSecond(samples) {
  const seconds = [];
  for (const [due, latency] of samples) (seconds[Math.floor(due / 1000)] ??= []).push(latency);
  return seconds.filter(Boolean).map((list) => percentile(list, 99));
}

export async function flushScenario({ dataset, settings: s, report, log }) {
  const keys = await pickKeys(dataset, Math.min(s.exchangeKeys, dataset.keys));
  const requests = jsonExchangeRequests(keys);
  const every = String(s.flushIntervalSeconds);
  const flushes = { LAST_USED_FLUSH_SECONDS: every, USAGE_FLUSH_SECONDS: every };
  log(`flush: ${s.flushDurationSeconds} s paced, last_used_at and usage flushed every ${every} s, ${keys.length} keys`);
  const servers = {
    usage: await startService(dataset, { name: 'flush-usage-and-last-used', extraEnv: flushes }),
    lastUsed: await startService(dataset, { name: 'flush-last-used-only', extraEnv: { ...flushes, USAGE_ENABLED: 'false' } }),
  };
  const result = {};
  try {
    const peaks = {};
    for (const [name, server] of Object.entries(servers)) {
      await warmUp(server, requests, 1);
      peaks[name] = assertClean(await runLoad({ url: server.url, requests, durationSeconds: 2 }), `flush peak ${name}`).rps;
    }
    const rate = Math.round(LOAD * Math.min(...Object.values(peaks)));
    const runs = await Promise.all(
      Object.entries(servers).map(async ([name, server]) => [
        name,
        assertClean(
          await runLoad({ url: server.url, requests, pacedRate: rate, durationSeconds: s.flushDurationSeconds, keepSamples: true }),
          `flush ${name}`,
        ),
      ]),
    );
    for (const [name, run] of runs) {
      const perSecond = p99PerSecond(run.samples);
      result[name] = { rate, p50: run.latencyMs.p50, p99: run.latencyMs.p99, worstSecondP99: Math.max(...perSecond), perSecond };
      log(
        `  ${name} at ${rate} req/s: p99 ${run.latencyMs.p99.toFixed(1)} ms, worst second's p99 ${result[name].worstSecondP99.toFixed(1)} ms`,
      );
    }
  } finally {
    await Promise.all(Object.values(servers).map((srv) => srv.stop()));
  }
  const { usage, lastUsed } = result;
  const label = `JSON, 1 process, ${usage.rate} req/s for ${s.flushDurationSeconds} s, flushes every ${every} s`;
  const row = (measure, value, target, verdictText) => report.row('flush', `${label}: ${measure}`, value, target, verdictText);
  row('p99 ms, last_used_at flush alone', lastUsed.p99.toFixed(1));
  row('p99 ms, last_used_at and usage flushes', usage.p99.toFixed(1));
  row("worst second's p99 ms, last_used_at flush alone", lastUsed.worstSecondP99.toFixed(1));
  const bound = lastUsed.worstSecondP99 * SPIKE_RATIO + SPIKE_SLACK_MS;
  row(
    "worst second's p99 ms, last_used_at and usage flushes",
    usage.worstSecondP99.toFixed(1),
    `≤ ${SPIKE_RATIO} × alone + ${SPIKE_SLACK_MS} ms (${bound.toFixed(1)})`,
    usage.worstSecondP99 <= bound ? 'PASS' : 'MISS',
  );
  report.data('flush', result);
}
