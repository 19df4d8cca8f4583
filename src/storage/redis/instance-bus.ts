import { randomUUID } from 'node:crypto';
import type { BusHandlers, BusMessage, InstanceBus } from '../../domain/seams.js';
import type { Logger } from '../../log.js';
import { duplicateRedis, type RedisClient, type RedisKeys } from './client.js';

type Envelope = { id: string; from: string; message: BusMessage };
type Ack = { id: string; from: string };

const DEFAULT_STALL_AFTER_MS = 3_000;

export type RedisInstanceBusOptions = BusHandlers & {
  redis: RedisClient;
  keys: RedisKeys;
  log: Logger;
  ackTimeoutMs: number;
  /** How long without hearing its own heartbeat before the bus declares Redis stalled. */
  stallAfterMs?: number;
};

/** The instance bus on Redis pub/sub: instance messages with acknowledgements, and a heartbeat. */
export function createRedisInstanceBus(o: RedisInstanceBusOptions): InstanceBus & { suspect(): void } {
  const instanceId = randomUUID();
  // Connects in start(), not now: its first resync reloads the signing keys, which must not race
  // the keyring's own first load.
  const sub = duplicateRedis(o.redis, { autoResubscribe: false, enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true });
  let live = false;
  let stopped = false;
  let counter = 0;
  let generation = 0;
  type Waiter = { receivers?: number; acked: number; by: Set<string>; want?: ReadonlySet<string>; done: () => void };
  const waiters = new Map<string, Waiter>();
  // Named peers, when given, decide: on Cluster a PUBLISH counts only the receivers on its own node.
  const complete = (w: Waiter) => (w.want ? [...w.want].every((id) => w.by.has(id)) : w.receivers !== undefined && w.acked >= w.receivers);

  const goDown = (why: string) => {
    generation++;
    if (live) o.log.warn({ why }, 'event-bus.down');
    live = false;
    o.onDown();
  };

  // A Redis that hangs (stopped, frozen, silently partitioned) closes no connection: the bus hears
  // its own heartbeat through Redis, and silence means nothing it holds can be trusted. Both
  // connections are then dropped and reopened, so commands fail fast (as with a dead Redis) until
  // Redis answers again and the bus resynchronises.
  const heartbeatChannel = `${o.keys.instanceChannel}:hb:${instanceId}`;
  const stallAfterMs = o.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  let lastBeat = Date.now();
  const declareStalled = (why: string) => {
    o.log.warn({ why, silentMs: Date.now() - lastBeat }, 'event-bus.stalled');
    goDown('stalled');
    sub.disconnect(true);
    o.redis.disconnect(true);
  };
  const heartbeat = setInterval(
    () => {
      if (stopped) return;
      if (live && Date.now() - lastBeat > stallAfterMs) {
        declareStalled('heartbeat');
        return;
      }
      if (live) o.redis.publish(heartbeatChannel, String(Date.now())).catch(() => undefined);
    },
    Math.max(10, Math.floor(stallAfterMs / 3)),
  );
  heartbeat.unref();

  async function subscribeAndResync(): Promise<void> {
    const gen = ++generation;
    try {
      await sub.subscribe(o.keys.instanceChannel, o.keys.ackChannel, heartbeatChannel);
      await o.onResync();
      // A drop while resyncing started another round; this one must not claim liveness.
      if (gen === generation && !stopped) {
        lastBeat = Date.now();
        live = true;
        o.log.info('event-bus.live');
      }
    } catch (err) {
      if (stopped) return;
      o.log.warn({ err }, 'event-bus.resync_failed');
      if (gen === generation) setTimeout(() => void subscribeAndResync(), 500).unref();
    }
  }

  sub.on('ready', () => void subscribeAndResync());
  sub.on('close', () => goDown('close'));
  sub.on('end', () => goDown('end'));
  sub.on('error', (err: Error) => o.log.debug({ err: err.message }, 'event-bus.error'));

  sub.on('message', (channel: string, raw: string) => {
    if (channel === heartbeatChannel) {
      lastBeat = Date.now();
      return;
    }
    if (channel === o.keys.ackChannel) {
      const ack = parse<Ack>(raw);
      const waiter = ack && waiters.get(ack.id);
      if (waiter) {
        waiter.acked++;
        waiter.by.add(ack.from);
        if (complete(waiter)) waiter.done();
      }
      return;
    }
    const env = parse<Envelope>(raw);
    if (!env?.message) return;
    void (async () => {
      try {
        await o.onMessage(env.message);
        await o.redis.publish(o.keys.ackChannel, JSON.stringify({ id: env.id, from: instanceId } satisfies Ack));
      } catch (err) {
        o.log.warn({ err, type: env.message.type }, 'event-bus.handler_failed');
      }
    })();
  });

  return {
    instanceId,
    isLive: () => live,

    /**
     * A command failed or timed out: Redis is impaired (hung, or a Cluster slot without its master),
     * and a revoke made elsewhere meanwhile may not reach this instance. Stop trusting caches now
     * rather than after the heartbeat's silence; the bus resynchronises once Redis answers.
     */
    suspect() {
      if (live && !stopped) declareStalled('command_failed');
    },

    async start() {
      if (sub.status === 'wait') await sub.connect().catch(() => undefined);
    },

    stop() {
      stopped = true;
      live = false;
      clearInterval(heartbeat);
      for (const w of waiters.values()) w.done();
      sub.disconnect();
      return Promise.resolve();
    },

    async publish(message, expect) {
      const id = `${instanceId}:${++counter}`;
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      const waiter: Waiter = { acked: 0, by: new Set(), ...(expect ? { want: new Set(expect) } : {}), done: resolveDone };
      const result = (receivers: number) => ({
        receivers,
        acked: waiter.acked,
        ...(expect ? { missing: expect.filter((p) => !waiter.by.has(p)) } : {}),
      });
      waiters.set(id, waiter);
      try {
        const receivers = await o.redis.publish(
          o.keys.instanceChannel,
          JSON.stringify({ id, from: instanceId, message } satisfies Envelope),
        );
        waiter.receivers = receivers;
        if (complete(waiter)) return result(receivers);
        const timer = setTimeout(resolveDone, o.ackTimeoutMs);
        await done;
        clearTimeout(timer);
        if (!complete(waiter)) o.log.warn({ ...result(receivers), type: message.type }, 'event-bus.ack_timeout');
        return result(receivers);
      } finally {
        waiters.delete(id);
      }
    },
  };
}

function parse<T>(raw: string): T | undefined {
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}
