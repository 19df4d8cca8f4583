import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_GLOBALS = {
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  fetch: 'readonly',
  AbortController: 'readonly',
  AbortSignal: 'readonly',
  TextEncoder: 'readonly',
  TextDecoder: 'readonly',
  performance: 'readonly',
  Response: 'readonly',
  Headers: 'readonly',
  RequestInit: 'readonly',
  structuredClone: 'readonly',
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'sdk/dist/**',
      'node_modules/**',
      'coverage/**',
      'bench/results/**',
      'sdk-python/**',
      'console/dist/**',
      'console/src/api/schema.d.ts',
      'test/.docs-*/**',
    ],
  },
  js.configs.recommended,
  {
    languageOptions: { globals: NODE_GLOBALS },
    // Prettier owns the layout: this rule fights its method-chain breaks (as eslint-config-prettier says).
    rules: { 'no-unexpected-multiline': 'off' },
  },
  {
    // Type-aware: the compiler's knowledge catches misused promises and conditions that cannot change.
    files: ['**/*.ts', '**/*.tsx'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'error',
      // An async function with nothing to await is how an in-process twin implements a Promise
      // interface; floating and misused promises, the rules that catch bugs, stay on.
      '@typescript-eslint/require-await': 'off',
      'no-console': 'error',
    },
  },
  {
    // Response bodies in tests (supertest, fetch) are untyped JSON by nature; everything else still applies.
    files: ['test/**/*.ts', 'sdk/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['bench/**', 'bin/**', '*.config.js', 'test/support/*.js', 'scripts/**'], rules: { 'no-console': 'off' } },
  // The console runs in the browser.
  { files: ['console/**'], languageOptions: { globals: globals.browser } },
);
