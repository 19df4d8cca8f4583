// Warm-up before measured runs: every key into every worker's key cache, then JIT warm-up.
import { assertClean, runLoad } from './load.mjs';
import { settings } from './settings.mjs';

/**
 * node:cluster hands new connections to its free workers in turn, so one connection per worker,
 * each sending every key once, puts every key into every worker's key cache: the measured runs
 * then see the hot path (a key record read from Postgres on first use would otherwise weigh on the
 * first runs). `fillCaches: false` for servers that have no cache (the ceiling).
 */
export async function warmUp(server, requests, workers, { fillCaches = true } = {}) {
  let sent = 0;
  if (fillCaches) {
    // One process: any connection reaches it, so every key once at full concurrency.
    const res =
      workers === 1
        ? await runLoad({ url: server.url, requests, amount: requests.length })
        : await runLoad({
            url: server.url,
            requests,
            connections: workers,
            amount: requests.length * workers,
            everyConnectionSendsAll: true,
          });
    sent += assertClean(res, `${server.name} cache warm-up`).ok;
  }
  if (settings.warmupSeconds > 0) {
    sent += assertClean(await runLoad({ url: server.url, requests, durationSeconds: settings.warmupSeconds }), `${server.name} warm-up`).ok;
  }
  return sent;
}
