import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../log.js';
import { isDatabaseUnavailable, type Db } from '../../storage/db.js';
import { forgetInstances, recentInstances, watchRevocations } from '../../storage/service-instances.js';
import { applyRevocation, type RevocationMemory } from './propagation.js';

/**
 * Why a lease (issue 24): pub/sub can lose a message without any instance noticing: on Cluster the
 * node that took a PUBLISH can die before passing it on, while every subscriber's own connection and
 * heartbeat go through nodes that live. The bus then says "live" and an instance would trust a key
 * cache that still holds a just-revoked key. So memory is trusted only under a lease renewed by
 * reading Postgres, the source of truth: each instance reads the entries committed since its last
 * read every `everyMs`, and trusts memory for `leaseMs` after the start of the last read that
 * succeeded. A revoke whose every peer has not acknowledged it on the bus waits `leaseMs` after its
 * commit before answering: by then any instance still trusting memory has read the entry.
 */
export const LEASE_MS = 2_000;
export const WATCH_EVERY_MS = 300;
// Rows of instances that crashed (no clean stop) are dropped after this.
const FORGET_AFTER_MS = 60 * 60_000;

export type RevocationLease = {
  /** Memory may be trusted as far as Postgres is concerned (the bus has its own say). */
  fresh(): boolean;
  /** The first read, then one every `everyMs`. */
  start(): Promise<void>;
  /** Stops trusting memory and leaves the deployment's list of instances. */
  stop(): Promise<void>;
  /** The deployment's other instances that may be trusting their memory now. */
  peers(): Promise<string[]>;
  /** Resolves once every instance still trusting memory must have read what committed at `committedAt` (performance.now()). */
  outlived(committedAt: number): Promise<void>;
  forgetCrashed(): Promise<number>;
  readonly leaseMs: number;
};

export type LeaseDeps = RevocationMemory & { db: Db; log: Logger; deployment: string; instanceId: string };

export function createRevocationLease(d: LeaseDeps, o: { leaseMs?: number; everyMs?: number } = {}): RevocationLease {
  const leaseMs = o.leaseMs ?? LEASE_MS;
  const everyMs = o.everyMs ?? WATCH_EVERY_MS;
  let confirmedAt = -Infinity;
  let afterSeq = 0;
  // Postgres refuses or drops this instance's connections: nothing newer can be read, and no revoke
  // can commit through this instance. Memory is then trusted on the bus alone, as before leases: keys
  // already cached keep working through a Postgres outage (an instance cut off from Postgres while its
  // peers still reach it, and losing a bus message at that moment too, is the one case this does not
  // cover). A slow or saturated Postgres (timeouts, too many connections) is no outage: the lease
  // simply lapses, and lookups read Postgres until a read succeeds.
  let unreachable = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  async function read(): Promise<void> {
    const startedAt = performance.now();
    // No timeout of its own: a hung Postgres simply renews nothing, and reads never pile up.
    const entries = await watchRevocations(d.db, { deployment: d.deployment, instanceId: d.instanceId, afterSeq });
    for (const e of entries) {
      applyRevocation(d, e);
      afterSeq = Math.max(afterSeq, e.seq);
    }
    if (!stopped) confirmedAt = Math.max(confirmedAt, startedAt);
  }

  const tick = () => {
    if (running || stopped) return;
    running = true;
    read()
      .then(() => {
        if (unreachable) d.log.info('revocation-lease.renewed');
        unreachable = false;
      })
      .catch((err: unknown) => {
        const down = isDatabaseUnavailable(err) && !isTimeoutOrSaturation(err);
        if (down && !unreachable) d.log.warn({ err }, 'revocation-lease.unreachable');
        if (!down) d.log.warn({ err }, 'revocation-lease.read_failed');
        unreachable = down;
      })
      .finally(() => (running = false));
  };

  return {
    leaseMs,
    fresh: () => !stopped && (unreachable || performance.now() - confirmedAt < leaseMs),
    async start() {
      await read().catch((err: unknown) => d.log.warn({ err }, 'revocation-lease.first_read_failed'));
      if (stopped) return;
      timer = setInterval(tick, everyMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await forgetInstances(d.db, { deployment: d.deployment, instanceId: d.instanceId }).catch(() => undefined);
    },
    peers: () => recentInstances(d.db, { deployment: d.deployment, instanceId: d.instanceId, withinMs: leaseMs }),
    async outlived(committedAt) {
      const left = committedAt + leaseMs - performance.now();
      if (left > 0) await sleep(left + 1);
    },
    forgetCrashed: () => forgetInstances(d.db, { deployment: d.deployment, olderThanMs: FORGET_AFTER_MS }),
  };
}

/** A lease that is always fresh and expects no peers: one embedded instance, or no Redis at all. */
export const soleInstanceLease: RevocationLease = {
  leaseMs: 0,
  fresh: () => true,
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
  peers: () => Promise.resolve([]),
  outlived: () => Promise.resolve(),
  forgetCrashed: () => Promise.resolve(0),
};

/** Postgres answering slowly or full, not gone: the errors a loaded server gives. */
function isTimeoutOrSaturation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: string; name?: string; message?: string };
    if (name === 'KnexTimeoutError' || code === 'ETIMEDOUT' || code === '53300') return true;
    if (typeof message === 'string' && /timeout/i.test(message)) return true;
  }
  return false;
}
