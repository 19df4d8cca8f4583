import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { createLifecycle } from '../../src/lifecycle.js';
import { createHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { ensureMigrated } from './databases.js';
import { embeddedBackend, embeddedTestDatabase } from './embedded-backend.js';
import { newPrefix, tracked } from './file-resources.js';
import { TEST_DATABASE_URL, TEST_ISSUER, TEST_REDIS_URL } from './env.js';

export { newPrefix, trackChild } from './file-resources.js';

export type TestInstance = { app: Express; deps: Deps; config: Config; close(): Promise<void> };

/** Every log line of the instances that share it, as parsed JSON, for assertions on redaction. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export type InstanceOptions = {
  /** Instances with the same prefix share Redis state and pub/sub (like one deployment). */
  prefix?: string;
  env?: Record<string, string>;
  clock?: Clock;
  logs?: LogCapture;
  databaseUrl?: string;
  /** How long start-up may take to load the revocation list and go live (a long list takes longer). */
  liveWithinMs?: number;
};

export function testConfig(prefix: string, env: Record<string, string> = {}, databaseUrl = TEST_DATABASE_URL): Config {
  return loadConfig({
    NODE_ENV: 'test',
    // The embedded backend: no DATABASE_URL, no REDIS_URL (the store comes from embeddedTestDatabase).
    ...(embeddedBackend ? {} : { DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL }),
    REDIS_KEY_PREFIX: prefix,
    ISSUER: TEST_ISSUER,
    SECRET_PEPPER: 'test-pepper-0123456789abcdef0123456789abcdef',
    KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
    LOG_LEVEL: 'info',
    // Production's shape (limits on), with room for every test; a test of the limits sets its own.
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_TOKEN_PER_IP: '1000000',
    RATE_LIMIT_TOKEN_PER_KEY: '1000000',
    RATE_LIMIT_FAILED_PER_IP_KEY: '10000',
    RATE_LIMIT_MANAGEMENT_PER_ORG: '1000000',
    RATE_LIMIT_SSO_PER_IP: '1000000',
    ...env,
  });
}

/** Where every instance of this run logs (debug level); global teardown scans it for leaked secrets. */
export const TEST_LOG_DIR = join(tmpdir(), `scope-auth-test-logs-${process.env.SCOPE_AUTH_TEST_RUN ?? process.pid}`);
let runLog: pino.DestinationStream | undefined;
function runLogDestination(): pino.DestinationStream {
  if (!runLog) {
    mkdirSync(TEST_LOG_DIR, { recursive: true });
    runLog = pino.destination({ dest: join(TEST_LOG_DIR, `worker-${process.pid}.log`), sync: true });
  }
  return runLog;
}

/** A full instance (deps started, pub/sub live) over the shared test database and Redis. */
export async function createTestInstance(options: InstanceOptions = {}): Promise<TestInstance> {
  const database = embeddedBackend ? await embeddedTestDatabase(options.databaseUrl) : undefined;
  if (!database) await ensureMigrated();
  const config = testConfig(options.prefix ?? newPrefix(), options.env, options.databaseUrl);
  const log = createLogger('debug', options.logs ?? runLogDestination());
  const deps = createDeps(config, { clock: options.clock ?? systemClock, log, ...(database ? { database } : {}) });
  const lifecycle = createLifecycle(deps);
  const close = tracked(() => lifecycle.stop());
  await lifecycle.start();
  await waitFor(() => deps.bus.isLive(), options.liveWithinMs ?? 5_000, 'event bus to go live');
  const app = createApp(deps);
  return { app, deps, config, close };
}

export async function listen(app: Express): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createHttpServer(app).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new TypeError('no address');
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    close: tracked(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  };
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Two instances of one deployment (shared Redis prefix), opened before the file's tests and closed
 * after them: read `a` and `b` inside the tests.
 */
export function twoInstances(options: Omit<InstanceOptions, 'prefix'> = {}): { a: TestInstance; b: TestInstance; prefix: string } {
  const prefix = newPrefix();
  const pair = { prefix } as { a: TestInstance; b: TestInstance; prefix: string };
  beforeAll(async () => {
    pair.a = await createTestInstance({ ...options, prefix });
    pair.b = await createTestInstance({ ...options, prefix });
  });
  afterAll(async () => {
    await pair.a.close();
    await pair.b.close();
  });
  return pair;
}
