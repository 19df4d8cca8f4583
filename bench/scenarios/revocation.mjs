// Revocation propagation: a key is revoked through instance A; measured from the moment the revoke
// request leaves, until instance B refuses the key, and until two SDK verifiers (Redis source,
// HTTP feed + SSE stream source from B) refuse a token the key obtained before. Also: whether the
// first exchange on B that starts after the revoke call returned is refused.
//
// The verifiers are polled in a process of their own (bench/revocation-watcher.mjs), so their
// millisecond polling does not share this event loop with the revoke call it times. B's watcher stays
// here: it keeps a single exchange in flight and spends its time waiting on B, so it hardly loads this
// loop, and the "first exchange after the revoke returned" check needs the revoke's return here anyway.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { exchange, revokeKey, sleep, tokenFor } from '../lib/client.mjs';
import { createScratchOrg } from '../lib/dataset.mjs';
import { startService, trackHelper } from '../lib/processes.mjs';
import { verifierTarget } from '../lib/service-env.mjs';
import { percentile, verdict } from '../lib/stats.mjs';

const VERIFIER_P99_TARGET_MS = 50;
const GIVE_UP_MS = 5_000;
const WATCHER = new URL('../revocation-watcher.mjs', import.meta.url).pathname;

// Epoch ms with sub-ms resolution: unlike performance.now() alone, comparable with the instants the
// watcher process takes.
const now = () => performance.timeOrigin + performance.now();

/** Forks the verifiers' process; `ask(msg)` sends one request and resolves with its answer. */
async function startWatcher(setup) {
  const child = trackHelper(fork(WATCHER, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  let pending;
  const settle = (outcome, value) => {
    const p = pending;
    pending = undefined;
    p?.[outcome](value);
  };
  child.on('message', (m) => (m.error ? settle('reject', new Error(`revocation watcher: ${m.error}`)) : settle('resolve', m)));
  child.once('exit', (code) => settle('reject', new Error(`revocation watcher exited with ${code}`)));
  const ask = (msg) =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject };
      child.send(msg);
    });
  const close = async () => {
    if (!child.connected) return;
    const exited = once(child, 'exit');
    child.disconnect(); // the watcher closes its verifiers and exits
    await exited;
  };
  try {
    await ask({ type: 'setup', ...setup });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { ask, close };
}

async function revokeOnce({ a, b, adminToken, key, watcher }) {
  const token = await tokenFor(a.url, key);
  if ((await exchange(b.url, key)).status !== 200) throw new Error('instance B refused a live key'); // now in B's key cache
  await watcher.ask({ type: 'arm', token }); // both verifiers accept the token

  const t0 = now();
  const onVerifiers = watcher.ask({ type: 'go', t0 });
  const revoked = revokeKey(a.url, adminToken, key.keyId).then(() => now() - t0);
  const onB = (async () => {
    while (now() - t0 < GIVE_UP_MS) if ((await exchange(b.url, key)).status === 401) return now() - t0;
    return NaN;
  })();
  const revokeMs = await revoked;
  const nextOnB = (await exchange(b.url, key)).status;
  const { redis, sse } = await onVerifiers;
  // IPC is JSON: a NaN ("never refused") arrives as null.
  return { revokeMs, nextOnBStatus: nextOnB, bRefusedMs: await onB, redisMs: redis ?? NaN, sseMs: sse ?? NaN };
}

export async function revocationScenario({ dataset, settings: s, report, log }) {
  const n = s.revocations;
  log(`revocation: ${n} revocations through instance A, watched on instance B and two SDK verifiers (in their own process)`);
  const org = await createScratchOrg(dataset, n);
  const a = await startService(dataset, { workers: 1, name: 'service-A' });
  const b = await startService(dataset, { workers: 1, name: 'service-B' });
  const samples = [];
  let watcher;
  try {
    watcher = await startWatcher(verifierTarget(b.url, dataset));
    const adminToken = await tokenFor(a.url, org.admin);
    for (const key of org.keys) {
      samples.push(await revokeOnce({ a, b, adminToken, key, watcher }));
      await sleep(10);
    }
  } finally {
    await watcher?.close();
    await Promise.all([a.stop(), b.stop()]);
  }

  const fmt = (values) => {
    const lost = values.filter((x) => !Number.isFinite(x)).length;
    return `p50 ${percentile(values, 50).toFixed(1)} / p99 ${percentile(values, 99).toFixed(1)} / max ${Math.max(...values.filter(Number.isFinite)).toFixed(1)} ms${lost ? `, ${lost} never` : ''}`;
  };
  const col = (name) => samples.map((x) => x[name]);
  const accepted = samples.filter((x) => x.nextOnBStatus !== 401).length;
  report.row('revocation', `revoke call on A (${n} revocations)`, fmt(col('revokeMs')));
  report.row('revocation', 'B refuses the key, from revoke sent', fmt(col('bRefusedMs')));
  report.row(
    'revocation',
    'B refuses its first exchange after revoke returned',
    `${n - accepted}/${n}`,
    `${n}/${n}`,
    verdict(accepted === 0),
  );
  for (const [name, label] of [
    ['redis', 'Redis source'],
    ['sse', 'HTTP stream source (from B)'],
  ]) {
    const values = col(`${name}Ms`);
    const p99 = percentile(values, 99);
    const allSeen = values.every(Number.isFinite);
    report.row(
      'revocation',
      `SDK verifier, ${label}, refuses from revoke sent`,
      fmt(values),
      `p99 < ${VERIFIER_P99_TARGET_MS} ms`,
      verdict(allSeen && p99 < VERIFIER_P99_TARGET_MS),
    );
  }
  report.data('revocation', { samples });
}
