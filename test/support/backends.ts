// Which backends this machine offers the tests: the real servers where they answer (as in CI), the
// embedded ones always. TEST_BACKEND=embedded runs the embedded backend even where servers answer.
import { connect } from 'node:net';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env.js';

export type TestBackend = 'server' | 'embedded';

/** True when something accepts TCP connections at the URL's host and port within `timeoutMs`. */
export function isReachable(url: string, defaultPort: number, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || defaultPort), timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

const forced = process.env.TEST_BACKEND;

/** Whether a real Redis is there for the suites that need one. */
export async function redisAvailable(): Promise<boolean> {
  return forced !== 'embedded' && (await isReachable(TEST_REDIS_URL, 6379));
}

/** The backend the integration suites run against: servers when both answer, embedded otherwise. */
export async function testBackend(): Promise<TestBackend> {
  if (forced === 'embedded' || forced === 'server') return forced;
  const [pg, redis] = await Promise.all([isReachable(TEST_DATABASE_URL, 5432), isReachable(TEST_REDIS_URL, 6379)]);
  return pg && redis ? 'server' : 'embedded';
}

/** Says once, on stderr, why a suite that needs a real Redis did not run. */
export function noteSkipped(suite: string, why: string): void {
  process.stderr.write(`skipped: ${suite}: ${why}\n`);
}
