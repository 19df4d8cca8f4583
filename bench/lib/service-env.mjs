// The environment every scope-auth process of the bench runs with. Fixed, non-secret values:
// the bench databases hold nothing but generated keys.
import { settings } from './settings.mjs';

export const BENCH_PEPPER = 'bench-pepper-not-a-secret-0123456789abcdef';
// Not one repeated byte: NODE_ENV=production refuses such a key. (Datasets seeded under the
// earlier all-42 key hold signing keys this one cannot open: drop their signing_keys rows.)
export const BENCH_KEK = 'b8e1c0a94f3d27e65a1c9f08d4b37e2a61f5c8d093b7a4e2c1f6d5a8b9e03c47';
export const ISSUER = 'https://auth.bench.test';
export const KEY_SCOPES = ['bench:read', 'bench:write'];
export const ADMIN_SCOPES = ['keys:read', 'keys:write', 'audit:read'];

/** `postgres://…/scope_auth_bench` → `postgres://…/scope_auth_bench_10000` for a dataset of 10,000 keys. */
export function datasetDatabaseUrl(keys) {
  const url = new URL(settings.databaseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}_${keys}`;
  return url.toString();
}

export function datasetRedisPrefix(keys) {
  return `${settings.redisPrefix}${keys}:`;
}

/** Variables for `node dist/src/cli.js …` against the dataset of `keys` keys. */
export function serviceEnv(keys, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    DATABASE_URL: datasetDatabaseUrl(keys),
    REDIS_URL: settings.redisUrl,
    REDIS_KEY_PREFIX: datasetRedisPrefix(keys),
    ISSUER,
    HOST: '127.0.0.1',
    SECRET_PEPPER: BENCH_PEPPER,
    KEY_ENCRYPTION_KEY: BENCH_KEK,
    TOKEN_TTL_SECONDS: '900',
    // Rate limits would throttle the load generator, which sends everything from one address.
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: settings.logLevel,
    ...extra,
  };
}

/** What an SDK verifier of the bench needs to check tokens of the service at `url` (both revocation sources). */
export function verifierTarget(url, dataset) {
  return {
    issuer: ISSUER,
    audience: ISSUER,
    jwksUrl: `${url}/.well-known/jwks.json`,
    authUrl: url,
    redisUrl: settings.redisUrl,
    keyPrefix: dataset.redisPrefix,
  };
}
