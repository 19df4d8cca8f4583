import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { configProblems } from '../support/config.js';
import { redisKeys } from '../../src/storage/redis/client.js';

describe('Redis topology (REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES)', () => {
  it('without any, runs in-process (embedded); keeps a REDIS_URL as given', () => {
    expect(loadConfig({}).redisTopology).toBeUndefined();
    const c = loadConfig({ REDIS_URL: 'rediss://u:p@redis.internal:6380/2' });
    expect(c.redisTopology).toEqual({ kind: 'standalone', url: 'rediss://u:p@redis.internal:6380/2' });
    expect(c.redisUrl).toBe('rediss://u:p@redis.internal:6380/2');
  });

  it('reads sentinels, the master name, passwords and TLS', () => {
    const c = loadConfig({
      REDIS_SENTINELS: 's1:26379, 10.0.0.2:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_USERNAME: 'scope',
      REDIS_PASSWORD: 'data-pw',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      REDIS_TLS: 'true',
    });
    expect(c.redisTopology).toEqual({
      kind: 'sentinel',
      name: 'mymaster',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      auth: { username: 'scope', password: 'data-pw', tls: {} },
      sentinelPassword: 'sentinel-pw',
    });
    expect(c.redisUrl).toBeUndefined();
  });

  it('reads cluster nodes, with passwords and the CA bundle from files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-config-'));
    try {
      writeFileSync(join(dir, 'pw'), 'from-file\n');
      writeFileSync(join(dir, 'ca.pem'), 'PEM');
      const c = loadConfig({
        REDIS_CLUSTER_NODES: 'c1:7000,c2:7001',
        REDIS_PASSWORD_FILE: join(dir, 'pw'),
        REDIS_TLS_CA_FILE: join(dir, 'ca.pem'),
      });
      expect(c.redisTopology).toEqual({
        kind: 'cluster',
        nodes: [
          { host: 'c1', port: 7000 },
          { host: 'c2', port: 7001 },
        ],
        auth: { username: undefined, password: 'from-file', tls: { ca: 'PEM' } },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses more than one form, naming them', () => {
    expect(configProblems({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'c1:7000' })).toEqual([
      'REDIS_URL, REDIS_CLUSTER_NODES: set only one of REDIS_URL (one server), REDIS_SENTINELS (with REDIS_SENTINEL_NAME) or REDIS_CLUSTER_NODES',
    ]);
  });

  it('refuses malformed node lists, a missing or stray master name and stray credentials', () => {
    expect(configProblems({ REDIS_SENTINELS: 's1:26379' })).toEqual([
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master group name, e.g. mymaster)',
    ]);
    expect(configProblems({ REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'm' })).toEqual([
      'REDIS_SENTINELS: must be host:port,… (IPv6 as [::1]:6379)',
    ]);
    expect(configProblems({ REDIS_CLUSTER_NODES: 'c1:99999' })).toEqual(['REDIS_CLUSTER_NODES: must be host:port,… (IPv6 as [::1]:6379)']);
    expect(configProblems({ REDIS_SENTINEL_NAME: 'm' })).toEqual(['REDIS_SENTINEL_NAME: only with REDIS_SENTINELS']);
    expect(configProblems({ REDIS_PASSWORD: 'x', REDIS_TLS: 'true' })).toEqual([
      'REDIS_PASSWORD, REDIS_TLS: only with REDIS_SENTINELS or REDIS_CLUSTER_NODES; put credentials and rediss:// in REDIS_URL',
    ]);
  });
});

describe('redisKeys', () => {
  it('puts every key of a deployment under the hash tag {prefix}, and leaves channels plain', () => {
    const k = redisKeys('acme:');
    const keys = [k.revocationEntries, k.revocationExpiry, k.revocationRebuildLock, k.rateLimit('token-ip'), k.rateLimit('token-key')];
    for (const key of keys) expect(key.startsWith('{acme:}')).toBe(true);
    expect([k.revocationChannel, k.instanceChannel, k.ackChannel]).toEqual(['acme:revocations', 'acme:instances', 'acme:acks']);
  });
});
