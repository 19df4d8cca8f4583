// Tests run as native ESM (jose is ESM-only). ts-jest only transpiles (isolatedModules in tsconfig.json):
// `npm run typecheck` does the type checking. (No native-binary transformer: `npm ci` must work
// from registries that lack some platforms' optional binaries.)
const tsJest = ['ts-jest', { useESM: true }];

const shared = {
  testEnvironment: '<rootDir>/test/support/environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

export default {
  testTimeout: 30_000,
  globalSetup: './test/support/global-setup.js',
  globalTeardown: './test/support/global-teardown.js',
  projects: [
    // `npm test` runs server and sdk; the bench harness smoke run is `npm run test:bench` (CI runs both).
    { ...shared, displayName: 'server', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/bench-smoke\\.test\\.ts$'] },
    { ...shared, displayName: 'sdk', testMatch: ['<rootDir>/sdk/test/**/*.test.ts'] },
    { ...shared, displayName: 'bench', testMatch: ['<rootDir>/test/integration/bench-smoke.test.ts'] },
  ],
};
