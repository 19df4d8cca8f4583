// Runs the load generator (bench/load-worker.mjs) in a child process and returns its summary.
import { fork } from 'node:child_process';
import { trackHelper } from './processes.mjs';
import { settings } from './settings.mjs';

const WORKER = new URL('../load-worker.mjs', import.meta.url).pathname;

/**
 * One autocannon run. `requests`: prepared `{ method, path, headers, body }`, taken in turn.
 * Stops after `durationSeconds`, or after `amount` requests when given. With `pacedRate`, an
 * open-loop client sends exactly that many requests per second instead (bench/lib/paced-load.mjs);
 * `keepSamples` then adds every `[due offset ms, latency ms]` to the result.
 */
export function runLoad({
  url,
  requests,
  durationSeconds = settings.durationSeconds,
  amount,
  pacedRate,
  connections = settings.connections,
  everyConnectionSendsAll = false,
  keepSamples = false,
}) {
  return new Promise((resolve, reject) => {
    const child = trackHelper(fork(WORKER, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    let answer;
    child.once('message', (m) => (answer = m));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (answer?.result) resolve(answer.result);
      else reject(new Error(`load generator failed (exit ${code}): ${answer?.error ?? 'no answer'}`));
    });
    child.send({ url, requests, connections, durationSeconds, amount, pacedRate, everyConnectionSendsAll, keepSamples });
  });
}

/**
 * Throughput of several servers compared on a machine whose speed drifts within seconds: each
 * target gets `durationSeconds` of load, cut into `turns` turns that the targets take in rotation
 * (one starting order per call, reversed every other turn: ABBA…), so that a slow second lands on
 * all of them alike. Answers one result per target: requests and time summed over its turns, its
 * latency figures those of its median turn.
 */
export async function runInTurns(targets, { durationSeconds = settings.durationSeconds, turns = settings.turns, what = 'load' } = {}) {
  const perTarget = targets.map(() => []);
  for (let t = 0; t < turns; t++) {
    const order = targets.map((_, i) => i);
    if (t % 2) order.reverse();
    for (const i of order) {
      const { url, requests, name } = targets[i];
      perTarget[i].push(assertClean(await runLoad({ url, requests, durationSeconds: durationSeconds / turns }), `${what} ${name}`));
    }
  }
  return perTarget.map((results) => {
    const ok = results.reduce((n, r) => n + r.ok, 0);
    const seconds = results.reduce((n, r) => n + r.durationSeconds, 0);
    const byRps = [...results].sort((a, b) => a.rps - b.rps);
    return {
      ok,
      non2xx: 0,
      errors: 0,
      durationSeconds: seconds,
      rps: ok / seconds,
      latencyMs: byRps[Math.floor(byRps.length / 2)].latencyMs,
      turnsRps: results.map((r) => r.rps),
    };
  });
}

/** A run is only a valid measurement if every request succeeded. */
export function assertClean(result, what) {
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${what}: ${result.non2xx} non-2xx responses (${JSON.stringify(result.statusCodes)}) and ${result.errors} errors`);
  }
  return result;
}

/** JSON exchanges (`POST /v1/token`), one prepared request per key. */
export function jsonExchangeRequests(keys) {
  return keys.map((k) => ({
    method: 'POST',
    path: '/v1/token',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org_id: k.orgId, key_id: k.keyId, secret: k.secret }),
  }));
}

/** RFC 6749 client credentials with HTTP Basic (`POST /oauth/token`), one prepared request per key. */
export function basicExchangeRequests(keys) {
  return keys.map((k) => ({
    method: 'POST',
    path: '/oauth/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${k.keyId}:${k.secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  }));
}

export const EXCHANGE_FORMATS = { json: jsonExchangeRequests, basic: basicExchangeRequests };
