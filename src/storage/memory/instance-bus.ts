import { randomUUID } from 'node:crypto';
import type { BusHandlers, InstanceBus } from '../../domain/seams.js';
import type { Logger } from '../../log.js';

/**
 * The bus of a single embedded instance: no other instance can miss a message, so it is live from
 * the end of its first resync until it stops, and a publish reaches no one (the publisher has
 * already applied its change locally, as with Redis).
 */
export function createMemoryInstanceBus(o: BusHandlers & { log: Logger }): InstanceBus {
  let live = false;
  let stopped = false;
  return {
    instanceId: randomUUID(),
    isLive: () => live,
    async start() {
      if (live || stopped) return;
      await o.onResync();
      if (stopped) return;
      live = true;
      o.log.info('event-bus.live');
    },
    async stop() {
      stopped = true;
      live = false;
    },
    async publish() {
      return { receivers: 0, acked: 0 };
    },
  };
}
