import type { Deps } from './deps.js';
import { backgroundJobs, type Job } from './jobs.js';

export type Lifecycle = {
  /** Loads signing keys, records the token lifetime, subscribes to the bus, starts the background jobs. */
  start(): Promise<void>;
  /** Stops the jobs, flushes batched writes and closes the connections the instance owns. */
  stop(): Promise<void>;
};

export function createLifecycle(deps: Deps): Lifecycle {
  const timers: NodeJS.Timeout[] = [];

  /** Never two runs of a job at once; a failure is logged and the job runs again next time. */
  const schedule = (job: Job) => {
    let running = false;
    const tick = () => {
      if (running) return;
      running = true;
      job
        .run()
        .catch((err: unknown) => {
          // While Redis is down its one warning (redis.unreachable) has said what that means: no stack every 5 s.
          const redisDown = deps.redis !== undefined && deps.redis.status !== 'ready';
          deps.log[redisDown ? 'debug' : 'warn']({ err, task: job.name }, 'background.failed');
        })
        .finally(() => (running = false));
    };
    const first = setTimeout(() => {
      tick();
      const t = setInterval(tick, job.everyMs);
      t.unref();
      timers.push(t);
    }, job.firstAfterMs ?? job.everyMs);
    first.unref();
    timers.push(first);
  };

  return {
    async start() {
      await deps.keyring.init();
      await deps.lifetimes.refresh();
      // The first Postgres read before the bus: the bus goes live with a fresh lease.
      await deps.lease.start();
      await deps.bus.start();
      for (const job of backgroundJobs(deps)) schedule(job);
    },

    async stop() {
      for (const t of timers) clearInterval(t);
      // Memory is no longer trusted, and revokes stop waiting for this instance's acknowledgement.
      await deps.lease.stop();
      const results = await Promise.allSettled([deps.lastUsed.flush(), deps.audit.flush(), deps.usage.flush()]);
      for (const r of results) if (r.status === 'rejected') deps.log.error({ err: r.reason }, 'shutdown.flush_failed');
      await deps.bus.stop();
      if (deps.owns.redis) deps.redis?.disconnect();
      if (deps.owns.db) await deps.db.destroy();
      // After the pool: the embedded store's socket closes under no open connection.
      await deps.database.close();
    },
  };
}
