import type { Deps } from './deps.js';
import { TOKEN_LIFETIME_RECORD_SECONDS } from './domain/token-lifetimes.js';

/** A background job: `run` every `everyMs`, the first time after `firstAfterMs` (default `everyMs`). */
export type Job = { name: string; everyMs: number; firstAfterMs?: number; run(): Promise<unknown> };

const AUDIT_FLUSH_MS = 1_000;
const MAINTENANCE_MS = 5_000;
const ROTATION_CHECK_MS = 60 * 60_000;
const USAGE_PRUNE_MS = 60 * 60_000;

/** Every background job of an instance, by name (these names appear in `background.failed` logs). */
export function backgroundJobs(deps: Deps): Job[] {
  const flushMs = deps.config.lastUsedFlushSeconds * 1000;
  return [
    // At a random point of the interval: processes started together would otherwise all flush at
    // the same moment, for ever.
    { name: 'last-used.flush', everyMs: flushMs, firstAfterMs: Math.random() * flushMs, run: () => deps.lastUsed.flush({ paced: true }) },
    { name: 'audit.flush', everyMs: AUDIT_FLUSH_MS, run: () => deps.audit.flush() },
    { name: 'usage.flush', everyMs: deps.config.usageFlushSeconds * 1000, run: () => deps.usage.flush() },
    { name: 'usage.prune', everyMs: USAGE_PRUNE_MS, run: () => deps.usage.prune() },
    { name: 'revocations.maintain', everyMs: MAINTENANCE_MS, run: () => deps.sync.maintain() },
    { name: 'instances.forget', everyMs: USAGE_PRUNE_MS, run: () => deps.lease.forgetCrashed() },
    { name: 'token-lifetimes.refresh', everyMs: TOKEN_LIFETIME_RECORD_SECONDS * 1000, run: () => deps.lifetimes.refresh() },
    { name: 'signing-keys.refresh', everyMs: deps.config.signingKeyRefreshSeconds * 1000, run: () => deps.keyring.refresh() },
    {
      name: 'signing-keys.rotate',
      everyMs: ROTATION_CHECK_MS,
      run: async () => {
        if (await deps.keyring.rotateIfDue()) await deps.bus.publish({ type: 'signing-keys.changed' });
        await deps.keyring.prune();
      },
    },
  ];
}
