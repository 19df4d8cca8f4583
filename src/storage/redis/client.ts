import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../log.js';

export type { Redis };

/** The service's Redis connection: one server (standalone or found through Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

export type RedisNode = { host: string; port: number };

/** Where Redis is: exactly one of the three forms DESIGN.md names. */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; sentinels: RedisNode[]; name: string; auth: RedisAuth; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: RedisNode[]; auth: RedisAuth };

/** Credentials and TLS for Sentinel- or Cluster-managed servers (a standalone URL carries its own). */
export type RedisAuth = { username?: string; password?: string; tls?: ConnectionOptions };

export function createRedis(url: string, commandTimeoutMs: number, options: RedisOptions = {}): Redis {
  return new Redis(url, { ...baseOptions(commandTimeoutMs), ...options });
}

function baseOptions(commandTimeoutMs: number): RedisOptions {
  return {
    // Fail fast instead of queueing commands forever while Redis is down: callers fall back to Postgres.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // A hung Redis answers nothing: every command gives up after this and callers fall back the same way.
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    lazyConnect: false,
  };
}

/**
 * ioredis gives a Sentinel-managed connection up for good (status 'end') when its failover detector
 * disconnects it while it is still being set up: a master killed, then `+switch-master` arriving
 * while the client retries the dead one. Seen in the failover tests, it leaves an instance off Redis
 * until restarted. Anything but the caller's own close reconnects; duplicates (the bus) do the same.
 */
const RECONNECT_AFTER_END_MS = 200;
class SentinelRedis extends Redis {
  private closedByCaller = false;
  constructor(options: RedisOptions) {
    super(options);
    this.on('end', () => {
      if (this.closedByCaller) return;
      setTimeout(() => {
        if (!this.closedByCaller && this.status === 'end') this.connect().catch(() => undefined);
      }, RECONNECT_AFTER_END_MS).unref();
    });
  }
  override disconnect(reconnect = false): void {
    if (!reconnect) this.closedByCaller = true;
    super.disconnect(reconnect);
  }
  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new SentinelRedis({ ...this.options, ...override });
  }
}

/** A client for any topology; every command keeps the same timeout (on Cluster, per node connection). */
export function createRedisClient(topology: RedisTopology, commandTimeoutMs: number): RedisClient {
  if (topology.kind === 'standalone') return createRedis(topology.url, commandTimeoutMs);
  const { username, password, tls } = topology.auth;
  if (topology.kind === 'sentinel') {
    return new SentinelRedis({
      ...baseOptions(commandTimeoutMs),
      sentinels: topology.sentinels,
      name: topology.name,
      username,
      password,
      sentinelPassword: topology.sentinelPassword,
      tls,
      enableTLSForSentinelMode: tls !== undefined,
      // After a failover the old master may still accept a connection as a replica: ask Sentinel again.
      failoverDetector: true,
    });
  }
  const cluster = new Cluster(topology.nodes, {
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    // A MOVED/failover redirect is followed at once rather than after the default 100 ms wait.
    retryDelayOnFailover: 50,
    retryDelayOnClusterDown: 100,
    redisOptions: { ...baseOptions(commandTimeoutMs), username, password, tls },
  });
  clusterSeeds.set(cluster, topology.nodes);
  return cluster;
}

const clusterSeeds = new WeakMap<Cluster, RedisNode[]>();

/**
 * Cluster pub/sub through one plain connection to any node (classic PUBLISH reaches every node,
 * replicas included), moving to another known node whenever it drops. ioredis's own cluster
 * subscriber moves silently, so the bus would hear neither the loss nor the messages missed; a
 * plain connection says 'close' and 'ready', and the bus resynchronises as with one server.
 */
function clusterSubscriber(cluster: Cluster, options: Partial<RedisOptions>): Redis {
  const seeds = clusterSeeds.get(cluster) ?? [];
  const first = seeds[0];
  if (!first) throw new TypeError('a cluster subscriber needs the cluster created by createRedisClient');
  const known = () => {
    const live = cluster
      .nodes('all')
      .flatMap((n) => (n.options.host && n.options.port ? [{ host: n.options.host, port: n.options.port }] : []));
    return live.length > 0 ? live : seeds;
  };
  let turn = 0;
  const sub: Redis = new Redis({
    ...cluster.options.redisOptions,
    ...options,
    host: first.host,
    port: first.port,
    retryStrategy: (attempt) => {
      const nodes = known();
      // The connector reads host and port from these options at each connection attempt.
      Object.assign(sub.options, nodes[++turn % nodes.length]);
      return Math.min(100 * attempt, 2_000);
    },
  });
  return sub;
}

/** A connection for pub/sub to the same Redis, with these options on top. */
export function duplicateRedis(client: RedisClient, options: Partial<RedisOptions>): RedisClient {
  return client instanceof Cluster ? clusterSubscriber(client, options) : client.duplicate(options);
}

/** `host:port,…` (IPv6 as `[::1]:26379`); undefined if any entry is malformed. */
export function parseRedisNodes(list: string): RedisNode[] | undefined {
  const nodes: RedisNode[] = [];
  for (const item of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
    const port = Number(m?.[2]);
    if (!m?.[1] || !(port >= 1 && port <= 65_535)) return undefined;
    nodes.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
  }
  return nodes.length > 0 ? nodes : undefined;
}

/**
 * Every Redis key and channel name, built in one place from the deployment's prefix. Keys sit under
 * the hash tag `{prefix}` so that on Cluster every multi-key command (the revocation MULTI, the
 * rate-limit script over several counters) stays in one slot: one shard holds a deployment's keys.
 * Channels need no tag: classic pub/sub reaches every node of a cluster.
 */
export function redisKeys(prefix: string) {
  const tag = prefix === '' ? '' : `{${prefix}}`;
  return {
    /**
     * HASH: `key:<keyId>` / `jti:<jti>` → JSON revocation entry, and field `ready` once the list has
     * been rebuilt from Postgres: one key, so whatever empties the list takes the marker with it.
     */
    revocationEntries: `${tag}rev:entries`,
    /** ZSET: same members, scored by expiry (ms), for pruning. */
    revocationExpiry: `${tag}rev:expiry`,
    revocationRebuildLock: `${tag}rev:rebuild-lock`,
    /** Public channel: new revocation entries, for verifiers (the SDK subscribes here). */
    revocationChannel: `${prefix}revocations`,
    /** Service instances only: revocations, key-cache invalidations, signing-key changes. */
    instanceChannel: `${prefix}instances`,
    /** Instances confirm each instance-channel message here, so a revoke can wait for all of them. */
    ackChannel: `${prefix}acks`,
    rateLimit: (name: string) => `${tag}rl:${name}:`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * One warning when Redis becomes unreachable and one line when it is back, instead of an error per
 * retry: what it means for the service is said once.
 */
export function reportRedisOutages(redis: RedisClient, topology: RedisTopology, log: Logger): void {
  const where = describeTopology(topology);
  let down = false;
  redis.on('error', (err: Error) => {
    log.debug({ err: err.message }, 'redis.error');
    if (down) return;
    down = true;
    log.warn(
      { redis: where, reason: err.message },
      `redis.unreachable: Redis at ${where} does not answer. Until it returns, rate limits are off, and key lookups and revocation checks read PostgreSQL (slower, still correct).`,
    );
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: where }, 'redis.recovered');
  });
}

/** Where Redis is, for an operator's log line: never its credentials. */
function describeTopology(t: RedisTopology): string {
  if (t.kind === 'standalone') {
    const u = new URL(t.url);
    return `${u.hostname}:${u.port || '6379'} (REDIS_URL)`;
  }
  const nodes = (t.kind === 'sentinel' ? t.sentinels : t.nodes).map((n) => `${n.host}:${n.port}`).join(',');
  return t.kind === 'sentinel' ? `sentinels ${nodes}, group ${t.name} (REDIS_SENTINELS)` : `cluster ${nodes} (REDIS_CLUSTER_NODES)`;
}
