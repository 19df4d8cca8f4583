import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { newPrefix, trackChild } from './file-resources.js';
import { isolatedDatabase } from './databases.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env.js';

/** The `scope-auth` command, as `npx scope-auth` runs it. */
export const CLI = new URL('../../bin/scope-auth.js', import.meta.url).pathname;

/** Production-grade secrets for child processes (the same as the in-process test config's). */
const SECRETS = {
  SECRET_PEPPER: 'test-pepper-0123456789abcdef0123456789abcdef',
  KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
};

/** The environment of CLI child processes: their own database (`name`) and Redis prefix, production-grade secrets. */
export async function cliEnv(name: string): Promise<NodeJS.ProcessEnv> {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: await isolatedDatabase(name),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: newPrefix(),
    ISSUER: 'https://auth.scope-auth.test',
    ...SECRETS,
    LOG_LEVEL: 'warn',
  };
}

/**
 * `serve` on the run's shared database as one instance of the deployment `prefix` (with in-process
 * instances of it, made by testConfig(prefix)), with `settings` on top; `output()` is all it printed.
 */
export function serveInDeployment(
  prefix: string,
  issuer: string,
  settings: NodeJS.ProcessEnv,
): { child: ChildProcessWithoutNullStreams; output: () => string } {
  const env = {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
  };
  const child = trackChild(spawn('node', [CLI, 'serve'], { env: { ...env, ISSUER: issuer, ...SECRETS, ...settings } }));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** `serve --migrate` on a database that does not exist yet, on a free port, logging at info. */
export function serveOnFreshDatabase(env: NodeJS.ProcessEnv, name: string): ChildProcessWithoutNullStreams {
  // Named like the run's isolated databases, so the run's teardown drops it.
  const fresh = new URL(env.DATABASE_URL!);
  fresh.pathname = `${new URL(process.env.TEST_DATABASE_URL!).pathname}_x_${name}_${process.pid}`;
  return trackChild(
    spawn('node', [CLI, 'serve', '--migrate'], {
      env: { ...env, DATABASE_URL: fresh.toString(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    }),
  );
}
