// Issue 19's figures: sign-in p50 (Argon2id dominates; target < 40 ms) and a session-authenticated
// management call against the same call with a Bearer token (target: session median ≤ 1.2 × Bearer).
// Serial requests, interleaved at random, so machine noise hits both alike.
import { spawn } from 'node:child_process';
import { tokenFor } from '../lib/client.mjs';
import { startService } from '../lib/processes.mjs';
import { serviceEnv } from '../lib/service-env.mjs';
import { median, percentile, verdict } from '../lib/stats.mjs';

const CLI = new URL('../../dist/src/cli.js', import.meta.url).pathname;
const PASSWORD = 'a bench person passphrase';

/** `scope-auth user create` for the dataset's org, password on stdin. */
function createPerson(dataset, email) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'node',
      [CLI, 'user', 'create', '--email', email, '--org', dataset.orgId, '--role', 'admin', '--password-stdin', '--json'],
      { env: serviceEnv(dataset.keys) },
    );
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`user create failed: ${err.slice(-500)}`))));
    child.stdin.end(PASSWORD);
  });
}

async function timed(url, init) {
  const t = performance.now();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return { ms: performance.now() - t, res };
}

export async function peopleScenario({ dataset, settings: s, report, log }) {
  const server = await startService(dataset, { name: 'service-people' });
  try {
    const email = `bench-${Date.now()}@people.bench`;
    await createPerson(dataset, email);
    const body = JSON.stringify({ email, password: PASSWORD });
    const signIns = [];
    let cookie = '';
    for (let i = 0; i < (s.quick ? 40 : 120); i++) {
      const { ms, res } = await timed(`${server.url}/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (res.status !== 200) throw new Error(`sign-in answered ${res.status}`);
      cookie = res.headers.getSetCookie()[0].split(';')[0];
      if (i >= 10) signIns.push(ms);
    }
    const p50 = median(signIns);
    log(`people: sign-in p50 ${p50.toFixed(1)} ms`);
    report.row(
      'people',
      'sign-in (Argon2id m=19 MiB t=2 p=1), 1 client: p50 / p99 ms',
      `${p50.toFixed(1)} / ${percentile(signIns, 99).toFixed(1)}`,
      '< 40 ms',
      verdict(p50 < 40),
    );

    const token = await tokenFor(server.url, dataset.admin);
    const ways = { bearer: { authorization: `Bearer ${token}` }, session: { cookie } };
    const samples = { bearer: [], session: [] };
    for (let round = 0; round < (s.quick ? 200 : 600); round++) {
      for (const way of Math.random() < 0.5 ? ['bearer', 'session'] : ['session', 'bearer']) {
        const { ms, res } = await timed(`${server.url}/v1/keys?limit=20`, { headers: ways[way] });
        if (res.status !== 200) throw new Error(`GET /v1/keys (${way}) answered ${res.status}`);
        if (round >= 50) samples[way].push(ms);
      }
    }
    const m = { bearer: median(samples.bearer), session: median(samples.session) };
    log(`people: GET /v1/keys median bearer ${m.bearer.toFixed(2)} ms, session ${m.session.toFixed(2)} ms`);
    report.row(
      'people',
      'GET /v1/keys?limit=20, 1 client: session / Bearer median ms',
      `${m.session.toFixed(2)} / ${m.bearer.toFixed(2)} (×${(m.session / m.bearer).toFixed(2)})`,
      '≤ 1.2 ×',
      verdict(m.session <= 1.2 * m.bearer),
    );
    report.data('people', { signin_ms: signIns, management_ms: samples });
  } finally {
    await server.stop();
  }
}
