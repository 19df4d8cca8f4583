// Tests run as native ESM (jose is ESM-only); @swc/jest strips types without type-checking,
// `npm run typecheck` does that part.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  },
];

const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

export default {
  testTimeout: 30_000,
  globalSetup: './test/support/global-setup.js',
  globalTeardown: './test/support/global-teardown.js',
  projects: [
    { ...shared, displayName: 'server', testMatch: ['<rootDir>/test/**/*.test.ts'] },
    { ...shared, displayName: 'sdk', testMatch: ['<rootDir>/sdk/test/**/*.test.ts'] },
  ],
};
