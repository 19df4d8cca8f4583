import type { Role, Session, User } from '../model.js';

export type CachedPerson = { session: Session; user: User; role: Role };

/**
 * In-process cache of live sessions by their ID hash, so a session request costs no database read
 * in the common case. Trusted only while pub/sub is live: every change that ends a session or
 * changes a role publishes `people.changed` for the user, and every instance drops that user's
 * entries at once. The epoch stops a read that raced an invalidation from caching what it fetched.
 */
export type SessionCache = {
  get(idHashHex: string): CachedPerson | undefined;
  epoch(): number;
  set(idHashHex: string, person: CachedPerson, epochAtRead: number): void;
  invalidateUser(userId: string): void;
  clear(): void;
};

export function createSessionCache(maxEntries: number, ttlMs: number, now: () => number): SessionCache {
  const entries = new Map<string, { person: CachedPerson; storedAt: number }>();
  let epoch = 0;
  return {
    get(id) {
      const hit = entries.get(id);
      if (!hit) return undefined;
      // A bounded age is a backstop in case an invalidation message was ever lost.
      if (now() - hit.storedAt > ttlMs) {
        entries.delete(id);
        return undefined;
      }
      return hit.person;
    },
    epoch: () => epoch,
    set(id, person, epochAtRead) {
      if (epochAtRead !== epoch) return;
      entries.delete(id);
      entries.set(id, { person, storedAt: now() });
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    invalidateUser(userId) {
      for (const [id, e] of entries) if (e.person.user.id === userId) entries.delete(id);
      epoch++;
    },
    clear() {
      entries.clear();
      epoch++;
    },
  };
}
