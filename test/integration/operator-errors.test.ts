import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { systemClock } from '../../src/clock.js';
import { createDeps } from '../../src/deps.js';
import { createLifecycle } from '../../src/lifecycle.js';
import { createLogger } from '../../src/log.js';
import { LogCapture, newPrefix, testConfig } from '../support/app.js';
import { ensureBuilt } from '../support/build.js';
import { emptyDatabase, ensureMigrated, isolatedDatabase, missingDatabaseUrl } from '../support/databases.js';

// Issue 18, item 6: every failure on the way says what to do, on one line, without a stack.
const run = promisify(execFile);
const CLI = new URL('../../bin/scope-auth.js', import.meta.url).pathname;
const BASE_ENV = {
  PATH: process.env.PATH,
  SECRET_PEPPER: 'test-pepper-0123456789abcdef0123456789abcdef',
  KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
  LOG_LEVEL: 'warn',
};

const fails = (args: string[], env: NodeJS.ProcessEnv) =>
  run('node', [CLI, ...args], { env: { ...BASE_ENV, ...env } }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';

let closedPort: number;
beforeAll(async () => {
  await ensureBuilt('server');
  const probe: Server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  const address = probe.address();
  closedPort = typeof address === 'object' && address ? address.port : 1;
  await new Promise((r) => probe.close(r));
}, 120_000);

describe('errors that say what to do', () => {
  it('names PostgreSQL and DATABASE_URL when Postgres is unreachable, and mentions embedded mode', async () => {
    const { code, stderr } = await fails(['org', 'list'], { DATABASE_URL: `postgres://postgres:secret-pw@127.0.0.1:${closedPort}/auth` });
    expect(code).toBe(1);
    expect(lastLine(stderr)).toBe(
      `scope-auth: cannot reach PostgreSQL at 127.0.0.1:${closedPort}/auth (DATABASE_URL): start it, or correct DATABASE_URL. Without DATABASE_URL, scope-auth runs on its embedded store in DATA_DIR (one instance, no PostgreSQL needed).`,
    );
    expect(stderr).not.toContain('secret-pw');
  });

  it('suggests migrate when a CLI verb meets a missing database or one without tables', async () => {
    const missing = await fails(['org', 'list'], { DATABASE_URL: missingDatabaseUrl('errors') });
    expect(missing.code).toBe(1);
    expect(lastLine(missing.stderr)).toMatch(/^scope-auth: the database .* does not exist: run `scope-auth migrate`/);
    const empty = await fails(['org', 'list'], { DATABASE_URL: await emptyDatabase('errors_empty') });
    expect(empty.code).toBe(1);
    expect(lastLine(empty.stderr)).toMatch(
      /has no scope-auth tables yet: run `scope-auth migrate` first \(or start the server with `serve --migrate`\)$/,
    );
  });

  it('suggests PORT when the port is in use, and releases the embedded store', async () => {
    const busy: Server = createServer().listen(0, '0.0.0.0');
    await new Promise((r) => busy.once('listening', r));
    const address = busy.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const dataDir = mkdtempSync(join(tmpdir(), 'scope-auth-port-'));
    try {
      const { code, stderr } = await fails(['serve'], { PORT: String(port), DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(lastLine(stderr)).toBe(
        `scope-auth: port ${port} is already in use (another scope-auth or another program): set PORT to a free port, e.g. PORT=${port + 1}`,
      );
      expect(existsSync(join(dataDir, 'scope-auth.lock'))).toBe(false);
    } finally {
      busy.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('says a KEY_ENCRYPTION_KEY does not open the stored signing keys, and names signing-keys reencrypt', async () => {
    const env = {
      DATABASE_URL: await isolatedDatabase('errors_kek'),
      REDIS_URL: 'redis://127.0.0.1:6379/9',
      REDIS_KEY_PREFIX: newPrefix(),
    };
    expect((await fails(['signing-keys', 'rotate'], env)).code).toBe(0);
    const { code, stderr } = await fails(['signing-keys', 'rotate'], {
      ...env,
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    });
    expect(code).toBe(1);
    expect(lastLine(stderr)).toMatch(
      /^scope-auth: KEY_ENCRYPTION_KEY does not open the stored signing key \S+: it was sealed under another key\. Set the KEY_ENCRYPTION_KEY it was created with, or move the keys to the new one with: scope-auth signing-keys reencrypt --previous-key-file FILE$/,
    );
  }, 60_000);

  it('warns once when Redis is unreachable, saying rate limits are off, with no stack every 5 s', async () => {
    await ensureMigrated();
    const logs = new LogCapture();
    const config = testConfig(newPrefix(), { REDIS_URL: `redis://127.0.0.1:${closedPort}/0` });
    const deps = createDeps(config, { clock: systemClock, log: createLogger('info', logs) });
    const lifecycle = createLifecycle(deps);
    try {
      await lifecycle.start();
      await sleep(5_600);
    } finally {
      await lifecycle.stop();
    }
    const warnings = logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown }).filter((l) => l.level >= 40);
    expect(warnings.map((w) => w.msg)).toEqual([
      `redis.unreachable: Redis at 127.0.0.1:${closedPort} (REDIS_URL) does not answer. Until it returns, rate limits are off, and key lookups and revocation checks read PostgreSQL (slower, still correct).`,
    ]);
  }, 30_000);
});
