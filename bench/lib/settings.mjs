// Every knob of `npm run bench`, read once from the environment. The run prints what it used.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const env = process.env;
const quick = env.BENCH_QUICK === '1';

function int(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function list(name, fallback) {
  const raw = env[name];
  return raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : fallback;
}

/**
 * The node flags the service is deployed with: those of `npm start` (the Dockerfile uses the same),
 * so that the bench measures the heap and GC settings production runs with.
 */
function startScriptFlags() {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const m = /^node\s+(.*?)\s*dist\/src\/cli\.js/.exec(pkg.scripts?.start ?? '');
  return m ? m[1].split(/\s+/).filter((f) => f.startsWith('--')) : [];
}

export const ALL_SCENARIOS = [
  'exchange',
  'latency',
  'scale',
  'memory',
  'verifier',
  'revocation',
  'list',
  'embedded',
  'people',
  'observability',
  'flush',
];

const cores = availableParallelism();

export const settings = Object.freeze({
  quick,
  cores,
  scenarios: list('BENCH_SCENARIOS', ALL_SCENARIOS),
  /** Interleaved runs per figure; each figure is their median. */
  runs: int('BENCH_RUNS', quick ? 1 : 3),
  /** Seconds of load per run. */
  durationSeconds: int('BENCH_DURATION', quick ? 2 : 4),
  /** Turns a run of a throughput comparison is cut into, taken by the compared servers in rotation. */
  turns: int('BENCH_TURNS', quick ? 2 : 4),
  /** Seconds of warm-up load before the measured runs of a server (JIT, key caches). */
  warmupSeconds: int('BENCH_WARMUP', quick ? 1 : 3),
  connections: int('BENCH_CONNECTIONS', 32),
  /** Process counts compared (WORKERS of `serve`, and the same for the ceiling server). */
  workers: list('BENCH_WORKERS', cores > 1 ? ['1', String(cores)] : ['1']).map(Number),
  /** Keys in the database of the exchange scenarios. */
  keys: int('BENCH_KEYS', 10_000),
  /** Distinct keys the exchange scenarios use (spread over those); every one is cached before measuring. */
  exchangeKeys: int('BENCH_EXCHANGE_KEYS', quick ? 1_000 : 10_000),
  /** Also measure the service with rate limits on (limits raised so that nothing is refused). */
  rateLimited: env.BENCH_RATE_LIMITED ? env.BENCH_RATE_LIMITED === '1' : !quick,
  keysSmall: int('BENCH_KEYS_SMALL', 1_000),
  keysLarge: int('BENCH_KEYS_LARGE', quick ? 100_000 : 1_000_000),
  /** Distinct keys exchanged against the large dataset, spread across its keyspace. */
  keysUsed: int('BENCH_KEYS_USED', quick ? 1_000 : 10_000),
  listKeys: int('BENCH_LIST_KEYS', quick ? 10_000 : 100_000),
  revocations: int('BENCH_REVOCATIONS', quick ? 20 : 100),
  // The target's figure: about 5 minutes at this machine's 2,000–4,000 exchanges/s on one process.
  memoryExchanges: int('BENCH_MEMORY_EXCHANGES', quick ? 20_000 : 1_000_000),
  /** Exchanges after which the first memory sample is taken (the target compares it with the last). */
  memoryFirstSample: int('BENCH_MEMORY_FIRST_SAMPLE', quick ? 5_000 : 100_000),
  verifierTokens: int('BENCH_VERIFIER_TOKENS', 1_000),
  /** Distinct tokens streamed through the verifier's cache to show its memory is bounded. */
  verifierDistinct: int('BENCH_VERIFIER_DISTINCT', quick ? 100_000 : 1_000_000),
  /** Milliseconds each contender verifies per run, in `verifierSlices` turns taken in rotation. */
  verifierRoundMs: int('BENCH_VERIFIER_ROUND_MS', quick ? 600 : 3_000),
  verifierRounds: int('BENCH_VERIFIER_ROUNDS', quick ? 3 : 5),
  verifierSlices: int('BENCH_VERIFIER_SLICES', quick ? 6 : 30),
  databaseUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/scope_auth_bench',
  redisUrl: env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/12',
  redisPrefix: env.BENCH_REDIS_PREFIX || 'bench:',
  logLevel: env.BENCH_LOG_LEVEL || 'info',
  /** Node flags of the service processes; default: those of `npm start`. */
  nodeFlags: env.BENCH_NODE_FLAGS !== undefined ? env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean) : startScriptFlags(),
  /** Scrapes of GET /metrics timed by the observability scenario. */
  scrapes: int('BENCH_SCRAPES', quick ? 50 : 500),
  /**
   * A git ref whose build the observability scenario also runs (built once into the temp directory):
   * exchange throughput with tracing off against the build before tracing existed. Unset: not compared.
   */
  baselineRef: env.BENCH_BASELINE_REF || undefined,
  /** Seconds of paced load of the flush scenario, and the flush interval of last_used_at and usage then. */
  flushDurationSeconds: int('BENCH_FLUSH_DURATION', quick ? 6 : 60),
  flushIntervalSeconds: int('BENCH_FLUSH_INTERVAL', quick ? 1 : 5),
  /** Starts every server under `node --cpu-prof`, profiles written to bench/results/profiles/. */
  profile: env.BENCH_PROFILE === '1',
});

/** The settings as printed at the start of a run and stored in the JSON result. */
export function describeSettings(s = settings) {
  return {
    quick: s.quick,
    scenarios: s.scenarios.join(','),
    runs: s.runs,
    duration_s: s.durationSeconds,
    turns_per_run: s.turns,
    warmup_s: s.warmupSeconds,
    connections: s.connections,
    workers: s.workers.join(','),
    keys: s.keys,
    exchange_keys: s.exchangeKeys,
    rate_limited_variant: s.rateLimited,
    keys_small: s.keysSmall,
    keys_large: s.keysLarge,
    keys_used_large: s.keysUsed,
    list_keys: s.listKeys,
    revocations: s.revocations,
    memory_exchanges: s.memoryExchanges,
    memory_first_sample: s.memoryFirstSample,
    verifier_rounds: `${s.verifierRounds} x ${s.verifierRoundMs} ms in ${s.verifierSlices} turns`,
    database: s.databaseUrl,
    redis: `${s.redisUrl} prefix ${s.redisPrefix}`,
    scrapes: s.scrapes,
    baseline_ref: s.baselineRef ?? '(none)',
    flush: `${s.flushDurationSeconds} s of load, flushes every ${s.flushIntervalSeconds} s`,
    log_level: s.logLevel,
    service_node_flags: s.nodeFlags.join(' ') || '(none)',
    profile: s.profile,
  };
}
