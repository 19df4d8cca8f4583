import { randomUUID } from 'node:crypto';
import type { BusHandlers, InstanceBus } from '../../domain/seams.js';
import type { Logger } from '../../log.js';
import { listenLocalBus, sendLocalBus } from './local-bus.js';

export type MemoryInstanceBusOptions = BusHandlers & {
  log: Logger;
  /**
   * The embedded store's bus socket: `serve` (the server holding DATA_DIR) hears CLI verbs run beside
   * it there; `reach` (such a CLI verb) tells that server of its changes.
   */
  local?: { role: 'serve' | 'reach'; path: string; ackTimeoutMs: number };
};

/**
 * The bus of a single embedded instance: no other instance can miss a message, so it is live from
 * the end of its first resync until it stops. A publish reaches no other instance (the publisher
 * has already applied its change), only, from a CLI verb, the server holding the same DATA_DIR.
 */
export function createMemoryInstanceBus(o: MemoryInstanceBusOptions): InstanceBus {
  let live = false;
  let stopped = false;
  const isStopped = () => stopped;
  let closeListener: (() => Promise<void>) | undefined;
  return {
    instanceId: randomUUID(),
    isLive: () => live,
    async start() {
      if (live || stopped) return;
      if (o.local?.role === 'serve') closeListener = await listenLocalBus(o.local.path, (m) => o.onMessage(m), o.log);
      await o.onResync();
      // `stop` may have run while the resync was awaited.
      if (isStopped()) return;
      live = true;
      o.log.info('event-bus.live');
    },
    async stop() {
      stopped = true;
      live = false;
      await closeListener?.();
    },
    // No peer to name: an embedded instance is alone (its lease expects nobody).
    async publish(message) {
      if (o.local?.role !== 'reach') return { receivers: 0, acked: 0 };
      const acked = await sendLocalBus(o.local.path, message, o.local.ackTimeoutMs);
      if (!acked) o.log.warn({ type: message.type }, 'event-bus.ack_timeout');
      return { receivers: 1, acked: acked ? 1 : 0 };
    },
  };
}
