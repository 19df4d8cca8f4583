import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { startServer, type RunningServer } from '../../src/main.js';
import { createLogger } from '../../src/log.js';
import { newPrefix, testConfig } from '../support/app.js';
import { ensureBuilt } from '../support/build.js';
import { isolatedDatabase } from '../support/databases.js';

const run = promisify(execFile);
const README = new URL('../../README.md', import.meta.url);

/** Every ```bash block of the README, in order: the walkthrough and API examples. */
function bashBlocks(): string[] {
  const text = readFileSync(README, 'utf8');
  return [...text.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README examples', () => {
  let server: RunningServer;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    // The walkthrough runs the CLI (`npx scope-auth`) from dist/.
    await ensureBuilt('server');
    const databaseUrl = await isolatedDatabase('readme');
    const prefix = newPrefix();
    const config = testConfig(prefix, { PORT: '0', HOST: '127.0.0.1' }, databaseUrl);
    server = await startServer(config, { log: createLogger('silent'), port: 0, announceSetup: false });
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SCOPE_AUTH: `http://127.0.0.1:${server.port}`,
      DATABASE_URL: databaseUrl,
      REDIS_URL: config.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      ISSUER: config.issuer,
      SECRET_PEPPER: 'test-pepper-0123456789abcdef0123456789abcdef',
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
    };
  }, 120_000);
  afterAll(async () => server.shutdown());

  it('run as written, in order, against a real server', async () => {
    const blocks = bashBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    const script = ['set -euo pipefail', ...blocks].join('\n');
    // About 10 s on a quiet machine; a first run (cold caches) beside three busy workers took over 60.
    const { stdout } = await run('bash', ['-c', script], { env, cwd: new URL('../..', import.meta.url).pathname, timeout: 120_000 }).catch(
      (err: { stdout: string; stderr: string; code: number }) => {
        // Show where it stopped rather than the whole script.
        throw new Error(
          `README script failed (exit ${err.code})\n--- stdout (tail)\n${err.stdout.slice(-2000)}\n--- stderr\n${err.stderr.slice(-2000)}`,
        );
      },
    );
    // Spot-check what the walkthrough claims to show.
    expect(stdout).toMatch(/"token_type":"Bearer","expires_in":900,"scope":"keys:read keys:write audit:read"/);
    expect(stdout).toMatch(/ES256 key_[0-9A-Z]{26} keys:read keys:write audit:read/);
    expect(stdout).toContain('"revoke_reason": "worker decommissioned"');
    expect(stdout).toContain('"active": true');
    expect(stdout).toContain('event: revocation');
    expect(stdout).toMatch(/^200$/m);
    expect(stdout).toContain('"status":"ok"');
    // People and roles: a developer sees only their own key; no CSRF header, or the viewer role, is a 403.
    expect(stdout).toContain('{"name":"my laptop","owner":"user"}');
    expect(stdout).toContain('["my laptop"]');
    expect(stdout).toContain('{"error":"csrf_failed","error_description":"X-CSRF-Token is missing or does not match this session"}');
    expect(stdout).toMatch(/\{"error":"forbidden","error_description":"the viewer role may not do this"\}\n403/);
    expect(stdout).toContain('signed out: 204');
    // Org settings, key search and a password change.
    expect(stdout).toContain('{"password":true,"sso":false}');
    expect(stdout).toContain('{"name":"People Inc","sso_domains":["people.example"]}');
    expect(stdout).toContain('[{"name":"my laptop","owner":"dev@people.example"}]');
    expect(stdout).toContain('password changed: 204');
  }, 150_000);
});
