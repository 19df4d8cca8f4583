import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// What must never appear in a log line: API secrets, JWTs, credentials from Authorization headers.
const LEAKS = [
  [/sk_(live|test)_[0-9A-Za-z]{20,}/, 'an API secret'],
  [/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/, 'a JWT'],
  [/Bearer\s+[A-Za-z0-9._~+/-]{20,}/i, 'a bearer credential'],
  [/Basic\s+[A-Za-z0-9+/]{16,}={0,2}/i, 'a Basic credential'],
];

/** Scans every log line the run's instances wrote; a leak fails the run. */
function scanLogs(run) {
  const dir = join(tmpdir(), `scope-auth-test-logs-${run}`);
  let files = [];
  try {
    files = readdirSync(dir);
  } catch {
    return;
  }
  let lines = 0;
  const leaks = [];
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      lines++;
      for (const [re, what] of LEAKS) if (re.test(line)) leaks.push(`${what} in ${f}: ${line.slice(0, 300)}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  if (leaks.length > 0) throw new Error(`secrets leaked into ${leaks.length} of ${lines} log lines:\n${leaks.slice(0, 5).join('\n')}`);
  process.stdout.write(`\nlog scan: ${lines} log lines from ${files.length} worker(s), no secret, token or credential found\n`);
}

/** Drops this run's databases (the shared one and any isolated ones), then checks the logs. */
export default async function globalTeardown() {
  const run = process.env.SCOPE_AUTH_TEST_RUN;
  if (run && process.env.TEST_BACKEND === 'embedded') {
    // The workers' embedded stores (test/support/embedded-backend.ts).
    for (const d of readdirSync(tmpdir()))
      if (d.startsWith(`scope-auth-test-embedded-${run}-`)) rmSync(join(tmpdir(), d), { recursive: true, force: true });
    scanLogs(run);
    return;
  }
  if (!run || !process.env.TEST_DATABASE_URL) return;
  const url = new URL(process.env.TEST_DATABASE_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2', [name, `${name}\\_x\\_%`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  scanLogs(run);
}
