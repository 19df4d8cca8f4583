import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { parseEntryJson } from './entry.js';
import type { RevocationList } from './list.js';
import type { Clock } from '../clock.js';
import { createConfirmation, createLatch, type RevocationSource, type SourceOptions } from './source.js';

/** Where the auth service's Redis is: the same three forms as its REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES. */
export type RedisLocation =
  /** One server, e.g. `redis://redis.internal:6379/0` (credentials and `rediss://` in the URL). */
  | { redisUrl: string }
  /** Sentinels as `host:port` (the service's REDIS_SENTINELS) and the master group name (REDIS_SENTINEL_NAME). */
  | { redisSentinels: string[]; redisSentinelName: string; redisPassword?: string; redisSentinelPassword?: string; redisTls?: boolean }
  /** Some Cluster nodes as `host:port` (the service's REDIS_CLUSTER_NODES). */
  | { redisClusterNodes: string[]; redisPassword?: string; redisTls?: boolean };

export type RedisRevocationOptions = SourceOptions &
  RedisLocation & {
    /** The service's `REDIS_KEY_PREFIX`. Default `scope-auth:`. */
    keyPrefix?: string;
  };

/** Whether revocation options name a Redis (in any of its three forms). */
export function isRedisRevocation(o: object): o is RedisRevocationOptions {
  return 'redisUrl' in o || 'redisSentinels' in o || 'redisClusterNodes' in o;
}

function parseNodes(nodes: string[], option: string): Array<{ host: string; port: number }> {
  if (!Array.isArray(nodes) || nodes.length === 0) throw new TypeError(`revocation.${option} must list host:port entries`);
  return nodes.map((n) => {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(String(n));
    if (!m?.[1]) throw new TypeError(`revocation.${option}: "${String(n)}" is not host:port`);
    return { host: m[1], port: Number(m[2]) };
  });
}

/** The service's key names (its redisKeys): keys under the hash tag `{prefix}`, channels plain. */
export function redisSourceKeys(prefix: string) {
  return { entries: `${prefix === '' ? '' : `{${prefix}}`}rev:entries`, channel: `${prefix}revocations` };
}

export const DEFAULT_KEY_PREFIX = 'scope-auth:';
const NOT_READY_RETRY_MS = 500;
const FULL_RESYNC_MS = 60_000;
// Hash fields: `ready` (the list is complete; a millisecond timestamp), `key:<id>` and `jti:<jti>`
// (entries). Anything else is not ours to read.
const READY_FIELD = 'ready';
const isEntryField = (field: string) => field.startsWith('key:') || field.startsWith('jti:');
// With maxStalenessSeconds, the subscription is pinged: a hung Redis keeps its sockets open and
// says nothing, so only an answer proves the subscription still delivers.
const pingIntervalMs = (maxStalenessMs: number) => Math.min(5_000, Math.max(250, maxStalenessMs / 4));

/**
 * Keeps `list` current from Redis: subscribe to `{prefix}revocations` first, then load the
 * `{prefix}rev:entries` hash, so that nothing published in between is missed. Done again after
 * every reconnection. The hash is complete iff it holds the field `ready` (the service's marker,
 * kept in the hash so that a flush removes list and marker at once); while it is absent (Redis
 * flushed, list being rebuilt) the entries already held are kept and the load is retried.
 */
export function createRedisSource(o: RedisRevocationOptions, list: RevocationList, clock: Clock): RevocationSource {
  // Named in errors without its password.
  const redactedUrl =
    'redisUrl' in o
      ? o.redisUrl.replace(/\/\/[^@/]*@/, '//***@')
      : 'redisSentinels' in o
        ? `sentinels ${o.redisSentinels.join(',')} (${o.redisSentinelName})`
        : `cluster ${o.redisClusterNodes.join(',')}`;
  let lastError: unknown;
  const prefix = o.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const keys = redisSourceKeys(prefix);
  if ('redisClusterNodes' in o && prefix === '') throw new TypeError('revocation.keyPrefix must not be empty on a Redis Cluster');
  const latch = createLatch();
  // The list is known current as of: a load made while subscribed, or a message or PONG on the
  // subscription that has been loaded since its last (re)connection (`liveGeneration`).
  const confirmation = createConfirmation();
  let closed = false;
  let generation = 0;
  let liveGeneration = -1;
  let pinging = false;
  let cmd: Redis | Cluster | undefined;
  let sub: Redis | undefined;
  let resync: NodeJS.Timeout | undefined;
  let pinger: NodeJS.Timeout | undefined;

  async function load(gen: number): Promise<void> {
    while (!closed && gen === generation && cmd) {
      const startedMs = clock.now();
      // One command reads marker and entries together: a flush cannot land between the two.
      const all = await cmd.hgetall(keys.entries);
      if (READY_FIELD in all) {
        for (const [field, raw] of Object.entries(all)) {
          if (!isEntryField(field)) continue;
          const entry = parseEntryJson(raw);
          if (entry) list.apply(entry);
        }
        latch.resolve();
        if (gen === generation) {
          liveGeneration = gen;
          confirmation.confirm(startedMs);
        }
        return;
      }
      await sleep(NOT_READY_RETRY_MS, undefined, { ref: false });
    }
  }

  async function subscribeThenLoad(): Promise<void> {
    const gen = ++generation;
    try {
      await sub?.subscribe(keys.channel);
      await load(gen);
    } catch {
      // The subscription dropped mid-way: its next 'ready' starts over. If it still stands (the load
      // failed: a Cluster slot without a master during failover), start over here, or the list would
      // stay unconfirmed until the next full resync.
      if (!closed && gen === generation && sub?.status === 'ready') setTimeout(() => void subscribeThenLoad(), NOT_READY_RETRY_MS).unref();
    }
  }

  function ping(): void {
    if (pinging || closed || sub?.status !== 'ready' || liveGeneration !== generation) return;
    const gen = generation;
    const sentMs = clock.now();
    pinging = true;
    sub
      .ping()
      .then(
        () => {
          // Everything published before the PING was delivered before its answer.
          if (gen === generation) confirmation.confirm(sentMs);
        },
        () => {
          // No answer: the server hangs (paused, partitioned) and keeps the connection open. Messages
          // published meanwhile may never reach it, and once it answers again a PING would vouch for a
          // list that misses them: reconnect instead (elsewhere on a Cluster), which reloads the list.
          if (gen === generation && !closed) sub?.disconnect(true);
        },
      )
      .finally(() => {
        pinging = false;
      });
  }

  async function start(): Promise<void> {
    const ioredis = await import('ioredis').catch((cause: unknown) => {
      throw new TypeError('revocation via Redis needs the "ioredis" package: npm install ioredis', { cause });
    });
    if (closed) return;
    const options: RedisOptions = {
      // Shows up in CLIENT LIST, so operators can tell verifier connections apart.
      connectionName: `scope-auth-sdk:${prefix}`,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      // A hung Redis (paused, partitioned) closes nothing: a load that never answers would hold the
      // list unconfirmed forever, so every command gives up and the next attempt starts over.
      commandTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    };
    // We resubscribe ourselves, so that every resubscription is followed by a reload.
    const subOptions: RedisOptions = { autoResubscribe: false, maxRetriesPerRequest: null };
    if ('redisClusterNodes' in o) {
      const nodes = parseNodes(o.redisClusterNodes, 'redisClusterNodes');
      const redisOptions = { ...options, password: o.redisPassword, tls: o.redisTls ? {} : undefined };
      const cluster = new ioredis.Cluster(nodes, { redisOptions });
      cmd = cluster;
      // Pub/sub on one plain connection to any node (PUBLISH reaches them all), moving to another
      // known node when it drops: its 'close' and 'ready' drive the reload as with one server, and a
      // PING on it proves the subscription itself (ioredis's cluster subscriber moves silently).
      let turn = 0;
      const known = () => {
        const live = cluster
          .nodes('all')
          .flatMap((n) => (n.options.host && n.options.port ? [{ host: n.options.host, port: n.options.port }] : []));
        return live.length > 0 ? live : nodes;
      };
      const clusterSub: Redis = new ioredis.Redis({
        ...redisOptions,
        ...subOptions,
        ...nodes[0],
        retryStrategy: (attempt) => {
          const list = known();
          // The connection reads host and port from its options at each attempt.
          Object.assign(clusterSub.options, list[++turn % list.length]);
          return Math.min(100 * attempt, 2_000);
        },
      });
      sub = clusterSub;
    } else {
      cmd =
        'redisSentinels' in o
          ? new ioredis.Redis({
              ...options,
              sentinels: parseNodes(o.redisSentinels, 'redisSentinels'),
              name: o.redisSentinelName,
              password: o.redisPassword,
              sentinelPassword: o.redisSentinelPassword,
              tls: o.redisTls ? {} : undefined,
              enableTLSForSentinelMode: o.redisTls === true,
              failoverDetector: true,
            })
          : new ioredis.Redis(o.redisUrl, options);
      sub = cmd.duplicate(subOptions);
    }
    // ioredis can give a connection up for good ('end'), e.g. when its Sentinel failover detector
    // disconnects one still connecting after a killed master: only close() may end them.
    for (const c of [cmd, sub])
      c.on('end', () => {
        setTimeout(() => {
          if (!closed && c.status === 'end') c.connect().catch(() => undefined);
        }, 200).unref();
      });
    // The SDK never logs; connection errors surface as a list that stops loading (verify fails closed).
    cmd.on('error', (err: unknown) => {
      lastError = new Error(`could not reach Redis at ${redactedUrl}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
    sub.on('error', () => undefined);
    sub.on('ready', () => void subscribeThenLoad());
    // Whatever was in flight on the lost connection proves nothing about the next one.
    sub.on('close', () => {
      generation++;
    });
    sub.on('message', (channel: string, raw: string) => {
      if (channel !== keys.channel) return;
      const entry = parseEntryJson(raw);
      if (entry) list.apply(entry);
      if (liveGeneration === generation) confirmation.confirm(clock.now());
    });
    if (o.maxStalenessSeconds !== undefined) {
      pinger = setInterval(ping, pingIntervalMs(o.maxStalenessSeconds * 1000));
      pinger.unref();
    }
    resync = setInterval(() => {
      if (latch.isResolved() && sub?.status === 'ready') void load(generation).catch(() => undefined);
    }, FULL_RESYNC_MS);
    resync.unref();
  }

  start().catch((err: unknown) => latch.reject(err));

  return {
    isLoaded: latch.isResolved,
    loaded: latch.promise,
    confirmedAtMs: confirmation.atMs,
    lastError: () => (latch.isResolved() ? undefined : lastError),
    close() {
      closed = true;
      clearInterval(resync);
      clearInterval(pinger);
      sub?.disconnect();
      cmd?.disconnect();
      return Promise.resolve();
    },
  };
}
