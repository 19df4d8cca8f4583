// `npm run bench` is how anyone checks the performance targets, so its harness must keep working:
// every scenario runs here, small and short, in this run's own databases and Redis prefix.
// The figures are not judged (timing targets belong in the bench, not in tests), only that the
// harness ran every scenario, got nothing but 2xx answers, and printed and wrote its table.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/env.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const PREFIX = `bench-smoke-${process.pid}:`;
// With this round's observability and flush scenarios a run took 249 s on a busy machine.
const RUN_LIMIT_MS = 330_000;

// The bench seeds `<BENCH_DATABASE_URL>_<keys>`. Named like isolatedDatabase's (`<run>_x_…`), they
// are dropped by the run's global teardown with the rest of its databases.
const benchDatabaseUrl = new URL(TEST_DATABASE_URL);
benchDatabaseUrl.pathname += '_x_bench';

const SMALL = {
  BENCH_QUICK: '1',
  BENCH_DATABASE_URL: benchDatabaseUrl.toString(),
  BENCH_REDIS_URL: TEST_REDIS_URL,
  BENCH_REDIS_PREFIX: PREFIX,
  BENCH_KEYS: '1000',
  BENCH_EXCHANGE_KEYS: '200',
  BENCH_KEYS_SMALL: '1000',
  BENCH_KEYS_LARGE: '3000',
  BENCH_KEYS_USED: '200',
  BENCH_LIST_KEYS: '1000',
  BENCH_RUNS: '1',
  BENCH_DURATION: '1',
  BENCH_TURNS: '1',
  BENCH_WARMUP: '0',
  BENCH_WORKERS: '1,2',
  BENCH_RATE_LIMITED: '1',
  BENCH_REVOCATIONS: '5',
  BENCH_MEMORY_EXCHANGES: '3000',
  BENCH_MEMORY_FIRST_SAMPLE: '1000',
  BENCH_VERIFIER_TOKENS: '50',
  BENCH_VERIFIER_ROUNDS: '1',
  BENCH_VERIFIER_ROUND_MS: '200',
  BENCH_VERIFIER_SLICES: '2',
  BENCH_VERIFIER_DISTINCT: '2000',
  BENCH_SCRAPES: '20',
  BENCH_FLUSH_DURATION: '3',
};

function runBench(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    // Stopped (with the servers it started) before the test's own timeout, so nothing outlives jest.
    const child = spawn(process.execPath, ['bench/run.mjs'], {
      cwd: ROOT,
      env: { ...process.env, ...SMALL, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: RUN_LIMIT_MS,
      killSignal: 'SIGTERM',
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

async function dropRedisKeys(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describe('npm run bench (every scenario, smoke sizes)', () => {
  afterAll(dropRedisKeys);

  it(
    'runs every scenario and prints and writes its table with a verdict per target',
    async () => {
      const { code, out } = await runBench();
      const written = /figures written to (\S+\.json)/.exec(out)?.[1];
      try {
        expect({ code, tail: code === 0 ? '' : out.slice(-3000) }).toEqual({ code: 0, tail: '' });
        const rows = out.split('\n').filter((line) => /^\| \w+ +\|/.test(line));
        const scenarios = new Set(rows.map((line) => line.split('|')[1]!.trim()));
        expect([...scenarios].sort()).toEqual([
          'embedded',
          'exchange',
          'flush',
          'latency',
          'list',
          'memory',
          'observability',
          'people',
          'revocation',
          'scale',
          'scenario',
          'verifier',
        ]);
        // Both process counts, both formats, and the in-memory ceiling they are compared with.
        for (const label of [
          'JSON /v1/token, 1 process: service / ceiling',
          'Basic /oauth/token, 2 processes: service / ceiling',
          'rate limits on / off',
          'metrics and usage on / off',
          'tracing on / off',
          'GET /metrics, 2 processes (primary sums its workers): p99 ms',
          "worst second's p99 ms, last_used_at and usage flushes",
        ]) {
          expect(rows.some((line) => line.includes(label))).toBe(true);
        }
        const verdicts = rows.filter((line) => /\| (PASS|MISS) *\|$/.test(line)).length;
        const summary = /targets: (\d+) PASS, (\d+) MISS/.exec(out);
        expect(summary).not.toBeNull();
        expect(Number(summary![1]) + Number(summary![2])).toBe(verdicts);
        // 16 until this round, + embedded (throughput ratio, start-up) + people (sign-in p50, session/Bearer)
        // + observability (metrics and usage on / off, scrape p99 on 1 and 2 processes) + flush (no spike).
        expect(verdicts).toBe(24);
        // No failure is hidden in the figures: B refused every revoked key on its next exchange.
        expect(out).toMatch(/B refuses its first exchange after revoke returned +\| 5\/5 /);

        expect(written).toBeDefined();
        const figures = JSON.parse(readFileSync(`${ROOT}${written}`, 'utf8')) as { table: unknown[]; settings: Record<string, unknown> };
        expect(figures.table.length).toBe(rows.length - 1);
        expect(figures.settings).toMatchObject({ quick: true, workers: '1,2', keys: 1000 });
      } finally {
        if (written && existsSync(`${ROOT}${written}`)) rmSync(`${ROOT}${written}`);
      }
    },
    RUN_LIMIT_MS + 30_000,
  );
});
