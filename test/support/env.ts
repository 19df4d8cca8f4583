/** Test infrastructure addresses; override with TEST_DATABASE_URL / TEST_REDIS_URL. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/scope_auth_test';
// DB index 9 keeps test data away from a developer's own Redis data in DB 0.
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/9';
export const TEST_ISSUER = 'https://auth.scope-auth.test';
