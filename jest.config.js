import { connect } from 'node:net';
// Tests run as native ESM (jose is ESM-only). ts-jest only transpiles (isolatedModules in tsconfig.json):
// `npm run typecheck` does the type checking. (No native-binary transformer: `npm ci` must work
// from registries that lack some platforms' optional binaries.)
const tsJest = ['ts-jest', { useESM: true }];

// The backend: Postgres and Redis where both answer (as in CI), the embedded one otherwise, or as
// TEST_BACKEND says. On the embedded backend only the suites that need neither run; the rest are
// listed as skipped, with the reason (test/support/backends.ts does the same per suite).
const reachable = (url, port) =>
  new Promise((resolve) => {
    const u = new URL(url);
    const socket = connect({ host: u.hostname, port: Number(u.port || port), timeout: 500 });
    const done = (ok) => (socket.destroy(), resolve(ok));
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
async function chooseBackend() {
  if (process.env.TEST_BACKEND === 'embedded' || process.env.TEST_BACKEND === 'server') return process.env.TEST_BACKEND;
  const [pg, redis] = await Promise.all([
    reachable(process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/x', 5432),
    reachable(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', 6379),
  ]);
  return pg && redis ? 'server' : 'embedded';
}
// Suites that run on the embedded backend too: the storage-level contract suites, embedded mode
// itself, and a representative set of endpoint suites over the embedded store.
const EMBEDDED_SUITES = [
  '<rootDir>/test/unit/**/*.test.ts',
  '<rootDir>/test/integration/seams/*.test.ts',
  '<rootDir>/test/integration/embedded.test.ts',
  '<rootDir>/test/integration/embedded-store.test.ts',
  '<rootDir>/test/integration/token.test.ts',
  '<rootDir>/test/integration/keys.test.ts',
  '<rootDir>/test/integration/introspect.test.ts',
  '<rootDir>/test/integration/oauth-revoke.test.ts',
  // People: sessions, the account, org settings, members, invitations, first owner, the role matrix, resources and SSO.
  ...['session', 'account', 'org', 'members', 'invitations', 'setup', 'role-matrix', 'resources', 'sso'].map(
    (name) => `<rootDir>/test/integration/${name}.test.ts`,
  ),
];
function noteEmbedded() {
  process.stderr.write(
    'TEST_BACKEND=embedded: no Postgres and Redis on 127.0.0.1 (or TEST_BACKEND=embedded). Running the unit, seam-contract, embedded-mode and\n' +
      'a representative set of endpoint suites on the embedded store; the suites that need a real Postgres or Redis (multi-instance,\n' +
      'Redis and Postgres faults, CLI against Postgres, README, SDK) are skipped. Start Postgres and Redis to run them all.\n',
  );
}

// Whole-system tests: they start real processes (the CLI, a cluster, an embedded server, a rolling
// restart of three instances, a traced server and its collector, outside verifiers and OpenAPI tools),
// fuzz every route with thousands of requests, or compare wall-clock medians (which a loaded machine
// blurs), and take most of a run's time.
// `npm run test:system` runs them; CI runs both.
const SYSTEM_SUITES = [
  'cli',
  'cli-user',
  'embedded',
  'operator-errors',
  'metrics-port',
  'rolling-restart',
  'tracing',
  'hostile',
  'timing',
  'signin-timing',
  'verifier-compat',
  'openapi-tools',
].map((name) => `<rootDir>/test/integration/${name}.test.ts`);
// Redis Sentinel and Cluster failover on real topologies: `npm run test:topologies` (four scenarios,
// 55–105 s on a loaded 2-core machine). Not in CI yet: the revocation defect it found is fixed (issue 24,
// the revocation lease), but it has not yet had 20 consecutive green runs since its start-up was made
// robust to ports taken by other processes.
const TOPOLOGY_SUITES = ['<rootDir>/test/integration/redis-topologies.test.ts'];

const shared = {
  testEnvironment: '<rootDir>/test/support/environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

export default async function config() {
  // Workers and global setup inherit it.
  process.env.TEST_BACKEND = await chooseBackend();
  const embedded = process.env.TEST_BACKEND === 'embedded';
  if (embedded) noteEmbedded();
  return {
    testTimeout: 30_000,
    globalSetup: './test/support/global-setup.js',
    globalTeardown: './test/support/global-teardown.js',
    projects: [
      // `npm test` runs server and sdk; the bench harness smoke run is `npm run test:bench` (CI runs both).
      {
        ...shared,
        displayName: 'server',
        testMatch: embedded ? EMBEDDED_SUITES : ['<rootDir>/test/**/*.test.ts'],
        testPathIgnorePatterns: [
          '/bench-smoke\\.test\\.ts$',
          ...(embedded ? [] : [...SYSTEM_SUITES, ...TOPOLOGY_SUITES].map((s) => s.replace('<rootDir>', ''))),
        ],
      },
      ...(embedded
        ? []
        : [
            { ...shared, displayName: 'system', testMatch: SYSTEM_SUITES },
            { ...shared, displayName: 'topologies', testMatch: TOPOLOGY_SUITES },
          ]),
      // The SDK's tests run against the service on Postgres and Redis.
      {
        ...shared,
        displayName: 'sdk',
        testMatch: embedded
          ? ['<rootDir>/sdk/test/sse-parser.test.ts', '<rootDir>/sdk/test/insecure-url.test.ts']
          : ['<rootDir>/sdk/test/**/*.test.ts'],
      },
      { ...shared, displayName: 'bench', testMatch: ['<rootDir>/test/integration/bench-smoke.test.ts'] },
    ],
  };
}
