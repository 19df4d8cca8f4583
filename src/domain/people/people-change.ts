import type { Logger } from '../../log.js';
import type { InstanceBus } from '../seams.js';
import type { SessionCache } from './session-cache.js';

export type PeopleChangeDeps = { sessionCache: SessionCache; bus: Pick<InstanceBus, 'publish'>; log: Logger };

/**
 * After a user's sessions end or their role changes (committed): this instance and, through pub/sub,
 * every other one stop serving their cached sessions. An instance that misses the message has lost
 * its subscription, and then trusts no cached session until it resyncs.
 */
export async function announcePeopleChange(deps: PeopleChangeDeps, userId: string): Promise<void> {
  deps.sessionCache.invalidateUser(userId);
  try {
    await deps.bus.publish({ type: 'people.changed', userId });
  } catch (err) {
    deps.log.warn({ err, userId }, 'people-change.propagation_deferred');
  }
}
