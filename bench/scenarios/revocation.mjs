// Revocation propagation: a key is revoked through instance A; measured from the moment the revoke
// request leaves, until instance B refuses the key, and until two SDK verifiers (Redis source,
// HTTP feed + SSE stream source from B) refuse a token the key obtained before. Also: whether the
// first exchange on B that starts after the revoke call returned is refused.
import { createVerifier } from '../../sdk/dist/index.js';
import { exchange, revokeKey, sleep, tokenFor } from '../lib/client.mjs';
import { createScratchOrg } from '../lib/dataset.mjs';
import { startService } from '../lib/processes.mjs';
import { ISSUER } from '../lib/service-env.mjs';
import { percentile, verdict } from '../lib/stats.mjs';

const VERIFIER_P99_TARGET_MS = 50;
const GIVE_UP_MS = 5_000;

/** Calls `refused()` until it says yes; returns the ms since `t0`, or NaN after GIVE_UP_MS. */
async function timeUntil(refused, t0, pauseMs) {
  while (performance.now() - t0 < GIVE_UP_MS) {
    if (await refused()) return performance.now() - t0;
    if (pauseMs >= 0) await sleep(pauseMs);
  }
  return NaN;
}

const verifierRefuses = (verifier, token) => async () => {
  try {
    await verifier.verify(token);
    return false;
  } catch (err) {
    if (err.code === 'token_revoked') return true;
    throw err;
  }
};

async function revokeOnce({ a, b, adminToken, key, verifiers }) {
  const token = await tokenFor(a.url, key);
  if ((await exchange(b.url, key)).status !== 200) throw new Error('instance B refused a live key'); // now in B's key cache
  for (const v of Object.values(verifiers)) await v.verify(token);

  const t0 = performance.now();
  const revoked = revokeKey(a.url, adminToken, key.keyId).then(() => performance.now() - t0);
  const onB = timeUntil(async () => (await exchange(b.url, key)).status === 401, t0, -1);
  const onVerifiers = Object.fromEntries(Object.entries(verifiers).map(([name, v]) => [name, timeUntil(verifierRefuses(v, token), t0, 0)]));
  const revokeMs = await revoked;
  const nextOnB = (await exchange(b.url, key)).status;
  const sample = { revokeMs, nextOnBStatus: nextOnB, bRefusedMs: await onB };
  for (const [name, p] of Object.entries(onVerifiers)) sample[`${name}Ms`] = await p;
  return sample;
}

export async function revocationScenario({ dataset, settings: s, report, log }) {
  const n = s.revocations;
  log(`revocation: ${n} revocations through instance A, watched on instance B and two SDK verifiers`);
  const org = await createScratchOrg(dataset, n);
  const a = await startService(dataset, { workers: 1, name: 'service-A' });
  const b = await startService(dataset, { workers: 1, name: 'service-B' });
  const verifiers = {
    redis: createVerifier({ issuer: ISSUER, audience: ISSUER, jwksUrl: `${b.url}/.well-known/jwks.json`, revocation: { redisUrl: s.redisUrl, keyPrefix: dataset.redisPrefix } }),
    sse: createVerifier({ issuer: ISSUER, audience: ISSUER, revocation: { authUrl: b.url } }),
  };
  const samples = [];
  try {
    await Promise.all(Object.values(verifiers).map((v) => v.ready()));
    const adminToken = await tokenFor(a.url, org.admin);
    for (const key of org.keys) {
      samples.push(await revokeOnce({ a, b, adminToken, key, verifiers }));
      await sleep(10);
    }
  } finally {
    await Promise.all(Object.values(verifiers).map((v) => v.close()));
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
  report.row('revocation', 'B refuses its first exchange after revoke returned', `${n - accepted}/${n}`, `${n}/${n}`, verdict(accepted === 0));
  for (const [name, label] of [['redis', 'Redis source'], ['sse', 'HTTP stream source (from B)']]) {
    const values = col(`${name}Ms`);
    const p99 = percentile(values, 99);
    const allSeen = values.every(Number.isFinite);
    report.row('revocation', `SDK verifier, ${label}, refuses from revoke sent`, fmt(values), `p99 < ${VERIFIER_P99_TARGET_MS} ms`, verdict(allSeen && p99 < VERIFIER_P99_TARGET_MS));
  }
  report.data('revocation', { samples });
}
