// The load generator: one autocannon run in its own process, so that it never shares an event
// loop with the servers or the orchestrator. Receives one job over IPC, answers with a summary.
import autocannon from 'autocannon';
import { runPaced } from './lib/paced-load.mjs';

function summarise(r) {
  const ok = r['2xx'];
  return {
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationSeconds: r.duration,
    rps: ok / r.duration,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count])),
    latencyMs: {
      mean: r.latency.mean,
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      p99_9: r.latency.p99_9,
      max: r.latency.max,
    },
  };
}

process.once('message', async (job) => {
  const { url, requests, connections, durationSeconds, amount, pacedRate, everyConnectionSendsAll, keepSamples } = job;
  if (pacedRate) {
    const result = await runPaced({ url, requests, rate: pacedRate, durationSeconds, connections, keepSamples });
    process.send({ result }, () => process.exit(0));
    return;
  }
  let next = 0;
  const opts = {
    url,
    connections,
    timeout: 10,
    requests: everyConnectionSendsAll
      ? // Each connection walks the whole list from the start (used to fill every worker's caches).
        requests
      : // One request template; each call takes the next prepared request, shared by all
        // connections, so concurrent connections use different keys.
        [
          {
            setupRequest(req) {
              const r = requests[next++ % requests.length];
              return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
            },
          },
        ],
  };
  if (amount) opts.amount = amount;
  else opts.duration = durationSeconds;
  try {
    const result = await autocannon(opts);
    process.send({ result: summarise(result) }, () => process.exit(0));
  } catch (err) {
    process.send({ error: String(err?.stack ?? err) }, () => process.exit(1));
  }
});
