import { readFileSync } from 'node:fs';
import { parseRedisNodes, type RedisTopology } from '../storage/redis/client.js';

/** The REDIS_* variables as the schema in config.ts parsed them. */
export interface RedisEnv {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: string | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_CLUSTER_NODES?: string | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_TLS: boolean;
  REDIS_TLS_CA_FILE?: string | undefined;
}

/** Which Redis, from REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (at most one of them); none: in-process. */
export function redisTopology(e: RedisEnv, problems: string[]): RedisTopology | undefined {
  const set = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((n) => e[n] !== undefined);
  if (set.length > 1) {
    problems.push(
      `${set.join(', ')}: set only one of REDIS_URL (one server), REDIS_SENTINELS (with REDIS_SENTINEL_NAME) or REDIS_CLUSTER_NODES`,
    );
    return undefined;
  }
  const nodesOf = (name: 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES', value: string) => {
    const nodes = parseRedisNodes(value);
    if (!nodes) problems.push(`${name}: must be host:port,… (IPv6 as [::1]:6379)`);
    return nodes;
  };
  let tls: { ca?: string } | undefined;
  if (e.REDIS_TLS_CA_FILE !== undefined) {
    try {
      tls = { ca: readFileSync(e.REDIS_TLS_CA_FILE, 'utf8') };
    } catch (err) {
      problems.push(`REDIS_TLS_CA_FILE: cannot read ${e.REDIS_TLS_CA_FILE} (${(err as { code?: string }).code ?? 'error'})`);
    }
  } else if (e.REDIS_TLS) tls = {};
  const auth = { username: e.REDIS_USERNAME, password: e.REDIS_PASSWORD, tls };
  if (e.REDIS_SENTINELS !== undefined) {
    const sentinels = nodesOf('REDIS_SENTINELS', e.REDIS_SENTINELS);
    if (e.REDIS_SENTINEL_NAME === undefined)
      problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master group name, e.g. mymaster)');
    if (!sentinels || e.REDIS_SENTINEL_NAME === undefined) return undefined;
    return { kind: 'sentinel', sentinels, name: e.REDIS_SENTINEL_NAME, auth, sentinelPassword: e.REDIS_SENTINEL_PASSWORD };
  }
  if (e.REDIS_SENTINEL_NAME !== undefined) problems.push('REDIS_SENTINEL_NAME: only with REDIS_SENTINELS');
  if (e.REDIS_CLUSTER_NODES !== undefined) {
    const nodes = nodesOf('REDIS_CLUSTER_NODES', e.REDIS_CLUSTER_NODES);
    return nodes && { kind: 'cluster', nodes, auth };
  }
  const extras = (['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD', 'REDIS_TLS_CA_FILE'] as const).filter(
    (n) => e[n] !== undefined,
  ) as string[];
  if (e.REDIS_TLS) extras.push('REDIS_TLS');
  if (extras.length > 0)
    problems.push(`${extras.join(', ')}: only with REDIS_SENTINELS or REDIS_CLUSTER_NODES; put credentials and rediss:// in REDIS_URL`);
  return e.REDIS_URL === undefined ? undefined : { kind: 'standalone', url: e.REDIS_URL };
}
