import type { BusHandlers } from '../../../src/domain/seams.js';
import { createLogger } from '../../../src/log.js';
import { createMemoryInstanceBus } from '../../../src/storage/memory/instance-bus.js';
import { createRedisInstanceBus } from '../../../src/storage/redis/instance-bus.js';
import { waitFor } from '../../support/app.js';
import { sides } from './seam-backends.js';

const log = createLogger('silent');

type Recorder = BusHandlers & { events: string[] };
const recorder = (): Recorder => {
  const events: string[] = [];
  return {
    events,
    onMessage: (m) => void events.push(`message:${m.type}`),
    onResync: async () => void events.push('resync'),
    onDown: () => void events.push('down'),
  };
};

describe.each(
  sides(
    'InstanceBus',
    () => {
      const r = recorder();
      return { r, bus: createMemoryInstanceBus({ ...r, log }) };
    },
    (redis, keys) => {
      const r = recorder();
      return { r, bus: createRedisInstanceBus({ ...r, redis, keys, log, ackTimeoutMs: 500 }) };
    },
  ),
)('InstanceBus ($name)', ({ create }) => {
  it('is not live before start, resyncs before it reports live, and is not live after stop', async () => {
    const { r, bus } = await create();
    expect(bus.isLive()).toBe(false);
    await bus.start();
    await waitFor(() => bus.isLive(), 3_000, 'bus live');
    expect(r.events[0]).toBe('resync');
    await bus.stop();
    expect(bus.isLive()).toBe(false);
  });

  it('answers a publish once every receiver has applied the message', async () => {
    const { bus } = await create();
    await bus.start();
    await waitFor(() => bus.isLive(), 3_000, 'bus live');
    const result = await bus.publish({ type: 'key.changed', keyId: 'key_x' });
    expect(result.acked).toBe(result.receivers);
    await bus.stop();
  });

  it('gives each instance its own ID', async () => {
    const a = await create();
    const b = await create();
    expect(a.bus.instanceId).not.toBe(b.bus.instanceId);
    await Promise.all([a.bus.stop(), b.bus.stop()]);
  });
});

describe('InstanceBus (in-process, one instance)', () => {
  it('reaches no other instance: a publish answers zero receivers and delivers nothing', async () => {
    const r = recorder();
    const bus = createMemoryInstanceBus({ ...r, log });
    await bus.start();
    expect(await bus.publish({ type: 'signing-keys.changed' })).toEqual({ receivers: 0, acked: 0 });
    expect(r.events).toEqual(['resync']);
    await bus.stop();
  });
});
