import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { configProblems } from '../support/config.js';

const KEK_HEX = '5f1c0d9e3a7b2c4d6e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6';
const PROD = {
  NODE_ENV: 'production',
  ISSUER: 'https://auth.example.com',
  SECRET_PEPPER: 'p'.repeat(40),
  KEY_ENCRYPTION_KEY: KEK_HEX,
};

describe('loadConfig', () => {
  it('gives development defaults, and says which secrets fell back', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      tokenTtlSeconds: 900,
      signingAlg: 'ES256',
      issuer: 'http://localhost:8080',
      defaultAudience: 'http://localhost:8080',
    });
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
    expect(c.keyEncryptionKey.equals(Buffer.from(KEK_HEX, 'hex'))).toBe(true);
    expect(c.warnings).toEqual([]);
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

  describe('TRUST_PROXY=true (issue 16, point 11)', () => {
    it("is refused in production: a hop count or the proxies' CIDRs only", () => {
      expect(configProblems({ ...PROD, TRUST_PROXY: 'true' })).toEqual([
        'TRUST_PROXY: "true" trusts any X-Forwarded-For, so clients can forge their address (IP allowlists, rate limits, audit); use the number of proxy hops (e.g. 1) or the proxies\' addresses or CIDRs',
      ]);
      expect(loadConfig({ ...PROD, TRUST_PROXY: '1' }).trustProxy).toBe(1);
      expect(loadConfig({ ...PROD, TRUST_PROXY: '10.0.0.0/8' }).trustProxy).toEqual(['10.0.0.0/8']);
    });

    it('gets a loud warning outside production', () => {
      const c = loadConfig({ TRUST_PROXY: 'true' });
      expect(c.trustProxy).toBe(true);
      expect(c.warnings).toEqual([expect.stringMatching(/^TRUST_PROXY=true trusts any X-Forwarded-For.*refused when NODE_ENV=production/)]);
      expect(loadConfig({ TRUST_PROXY: '2' }).warnings).toEqual([]);
    });
  });

  describe('ISSUER (issue 16, points 19 and 20)', () => {
    it.each(['HTTP://auth.example.com', 'Http://auth.example.com'])(
      'refuses %s in production, whatever the case of the scheme',
      (issuer) => {
        expect(configProblems({ ...PROD, ISSUER: issuer })).toEqual(['ISSUER: must be https when NODE_ENV=production']);
      },
    );

    it('accepts https in any case', () => {
      expect(configProblems({ ...PROD, ISSUER: 'HTTPS://auth.example.com' })).toEqual([]);
    });

    it('is at most 256 characters, so every token fits its length bound', () => {
      expect(configProblems({ ISSUER: `https://auth.example.com/${'a'.repeat(232)}` })).toEqual([expect.stringMatching(/^ISSUER: .*256/)]);
      expect(configProblems({ ISSUER: `https://auth.example.com/${'a'.repeat(231)}` })).toEqual([]);
    });
  });

  describe('secrets in production (issue 16, extras)', () => {
    it('refuses the development pepper and encryption key', () => {
      expect(
        configProblems({
          ...PROD,
          SECRET_PEPPER: 'dev-only-pepper-do-not-use-in-production-0000',
          KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
        }),
      ).toEqual([
        'SECRET_PEPPER: is the development default; set a random value of at least 32 characters',
        'KEY_ENCRYPTION_KEY: is the development default; set 32 random bytes (base64 or hex)',
      ]);
      // The same bytes in hex are the same key.
      expect(configProblems({ ...PROD, KEY_ENCRYPTION_KEY: '07'.repeat(32) })).toEqual([
        'KEY_ENCRYPTION_KEY: is the development default; set 32 random bytes (base64 or hex)',
      ]);
    });

    it.each([
      ['all zero', '00'.repeat(32)],
      ['one byte repeated', 'ab'.repeat(32)],
      ['one byte repeated, base64', Buffer.alloc(32, 0xff).toString('base64')],
    ])('refuses a key encryption key that is %s', (_what, kek) => {
      expect(configProblems({ ...PROD, KEY_ENCRYPTION_KEY: kek })).toEqual([
        'KEY_ENCRYPTION_KEY: is one byte repeated; set 32 random bytes (base64 or hex)',
      ]);
    });
  });

  describe('secrets from files (SECRET_PEPPER_FILE, KEY_ENCRYPTION_KEY_FILE)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'scope-auth-config-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };

    it('reads each secret from its file, without the trailing newline', () => {
      const pepper = 'q'.repeat(40);
      const c = loadConfig({
        ...PROD,
        SECRET_PEPPER: '',
        KEY_ENCRYPTION_KEY: '',
        SECRET_PEPPER_FILE: file('pepper', `${pepper}\n`),
        KEY_ENCRYPTION_KEY_FILE: file('kek', `${KEK_HEX}\r\n`),
      });
      expect(c.secretPepper.toString('utf8')).toBe(pepper);
      expect(c.keyEncryptionKey.equals(Buffer.from(KEK_HEX, 'hex'))).toBe(true);
      expect(c.devDefaults).toEqual([]);
    });

    it('refuses a secret set both ways, an unreadable file and an empty one, naming each', () => {
      const missing = join(dir, 'missing');
      expect(
        configProblems({
          ...PROD,
          SECRET_PEPPER_FILE: file('p2', 'r'.repeat(40)),
          KEY_ENCRYPTION_KEY: '',
          KEY_ENCRYPTION_KEY_FILE: missing,
        }),
      ).toEqual([
        'SECRET_PEPPER_FILE: set SECRET_PEPPER or SECRET_PEPPER_FILE, not both',
        `KEY_ENCRYPTION_KEY_FILE: cannot read ${missing} (ENOENT)`,
      ]);
      expect(configProblems({ ...PROD, SECRET_PEPPER: '', SECRET_PEPPER_FILE: file('empty', '\n') })).toEqual([
        `SECRET_PEPPER_FILE: ${join(dir, 'empty')} is empty`,
      ]);
    });

    it('validates a value from a file like any other', () => {
      expect(configProblems({ ...PROD, SECRET_PEPPER: '', SECRET_PEPPER_FILE: file('short', 'short\n') })).toEqual([
        'SECRET_PEPPER: Too small: expected string to have >=32 characters',
      ]);
    });
  });
});

describe('loadConfig: embedded by default (issue 18)', () => {
  it('runs embedded without DATABASE_URL and in-process without REDIS_URL, with data in ./scope-auth-data', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
    expect(c.dataDir).toBe(join(process.cwd(), 'scope-auth-data'));
    expect(loadConfig({ DATA_DIR: '/var/lib/scope-auth' }).dataDir).toBe('/var/lib/scope-auth');
  });

  it('refuses WORKERS > 1 without a shared store, saying why and what to set', () => {
    expect(configProblems({ WORKERS: '4' })).toEqual([
      'WORKERS: 4 processes need a shared store, but the embedded database (no DATABASE_URL) belong to one process; set DATABASE_URL and REDIS_URL to run several workers, or set WORKERS=1',
    ]);
    expect(configProblems({ WORKERS: '2', DATABASE_URL: 'postgres://db/x' })[0]).toContain(
      'the in-process revocation list and rate limits (no REDIS_URL)',
    );
    expect(loadConfig({ WORKERS: '2', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379' }).workers).toBe(2);
  });

  it('lets ISSUER follow PORT, and warns in development when ISSUER names another local port', () => {
    expect(loadConfig({ PORT: '3000' }).issuer).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '3000', ISSUER: 'http://localhost:8080' }).warnings).toEqual([
      'ISSUER (http://localhost:8080) names port 8080, but the server listens on PORT=3000: tokens and discovery will point elsewhere. Unset ISSUER to follow PORT, or make them agree.',
    ]);
    expect(loadConfig({ PORT: '3000', ISSUER: 'http://localhost:3000' }).warnings).toEqual([]);
    // Behind a proxy, another host and port is the point.
    expect(loadConfig({ PORT: '3000', ISSUER: 'https://auth.example.com' }).warnings).toEqual([]);
    expect(configProblems({ ...PROD, ISSUER: '' })).toEqual([
      'ISSUER: required when NODE_ENV=production (the https URL clients reach this service at)',
    ]);
  });

  it("keeps idle connections 65 s by default (past a load balancer's 60 s), or KEEP_ALIVE_TIMEOUT_SECONDS", () => {
    expect(loadConfig({}).keepAliveTimeoutSeconds).toBe(65);
    expect(loadConfig({ KEEP_ALIVE_TIMEOUT_SECONDS: '120' }).keepAliveTimeoutSeconds).toBe(120);
    expect(configProblems({ KEEP_ALIVE_TIMEOUT_SECONDS: '0' })[0]).toMatch(/^KEEP_ALIVE_TIMEOUT_SECONDS/);
  });

  it('reads DATABASE_URL and REDIS_URL from files, as container platforms mount them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scope-auth-config-'));
    try {
      writeFileSync(join(dir, 'db'), 'postgres://app:pw@db:5432/auth\n');
      writeFileSync(join(dir, 'redis'), 'redis://:pw@cache:6379/0\n');
      const c = loadConfig({ DATABASE_URL_FILE: join(dir, 'db'), REDIS_URL_FILE: join(dir, 'redis') });
      expect(c.databaseUrl).toBe('postgres://app:pw@db:5432/auth');
      expect(c.redisUrl).toBe('redis://:pw@cache:6379/0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks TRUST_PROXY and CORS_ORIGINS with everything else, in plain words, all at once', () => {
    expect(
      configProblems({
        TRUST_PROXY: '10.0.0.0/8,proxy.internal,10.0.0.1/40',
        CORS_ORIGINS: 'https://app.example.com,https://b.example/,app.example',
        PORT: 'x',
      }),
    ).toEqual([
      'PORT: Invalid input: expected number, received NaN',
      'TRUST_PROXY: "proxy.internal", "10.0.0.1/40" is not a proxy address; use false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDRs (10.0.0.0/8) and loopback, linklocal or uniquelocal',
      'CORS_ORIGINS: "https://b.example/", "app.example" is not an origin; list origins as scheme://host[:port], with no path or trailing slash, separated by commas (e.g. https://app.example.com)',
    ]);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,loopback,::1', CORS_ORIGINS: 'http://localhost:5173' }).trustProxy).toEqual([
      '10.0.0.0/8',
      'loopback',
      '::1',
    ]);
  });
});
