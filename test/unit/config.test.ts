import { ConfigError, loadConfig } from '../../src/config.js';

const PROD = {
  NODE_ENV: 'production',
  ISSUER: 'https://auth.example.com',
  SECRET_PEPPER: 'p'.repeat(40),
  KEY_ENCRYPTION_KEY: 'ab'.repeat(32),
};

describe('loadConfig', () => {
  it('gives development defaults, and says which secrets fell back', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, tokenTtlSeconds: 900, signingAlg: 'EdDSA', issuer: 'http://localhost:8080', defaultAudience: 'http://localhost:8080' });
    expect(c.devDefaults).toEqual(['SECRET_PEPPER', 'KEY_ENCRYPTION_KEY']);
    expect(c.keyEncryptionKey).toHaveLength(32);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('refuses to start in production without the secrets, naming every problem at once', () => {
    let err: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', ISSUER: 'http://insecure.example' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      'SECRET_PEPPER: required when NODE_ENV=production (at least 32 characters)',
      'KEY_ENCRYPTION_KEY: required when NODE_ENV=production (32 bytes, base64 or hex)',
      'ISSUER: must be https when NODE_ENV=production',
    ]);
  });

  it('accepts a complete production configuration with no dev defaults', () => {
    const c = loadConfig(PROD);
    expect(c.devDefaults).toEqual([]);
    expect(c.keyEncryptionKey.equals(Buffer.from('ab'.repeat(32), 'hex'))).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ TOKEN_TTL_SECONDS: '10' }, 'TOKEN_TTL_SECONDS'],
    [{ SIGNING_ALG: 'HS256' }, 'SIGNING_ALG'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ SECRET_PEPPER: 'short' }, 'SECRET_PEPPER'],
    [{ KEY_ENCRYPTION_KEY: 'dG9vIHNob3J0' }, 'KEY_ENCRYPTION_KEY'],
    [{ RATE_LIMIT_ENABLED: 'yes' }, 'RATE_LIMIT_ENABLED'],
  ])('rejects %j with a message naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(name));
  });

  it('treats empty values as unset and parses lists and trust proxy', () => {
    const c = loadConfig({ PORT: '', CORS_ORIGINS: 'https://a.example, https://b.example', TRUST_PROXY: '10.0.0.0/8,loopback' });
    expect(c.port).toBe(8080);
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });
});
