import { AppError } from '../errors.js';
import { findExpiringKeys, findQuietKeys } from '../storage/api-keys.js';
import { keyUsage, orgUsage, type Granularity } from '../storage/key-usage.js';
import { getKey, type Caller, type ManagementDeps } from './key-management.js';
import type { ApiKey } from './model.js';

const DAY_MS = 86_400_000;
/** The longest range one answer covers (the retention's default). */
export const MAX_USAGE_RANGE_DAYS = 90;
export const QUIET_AFTER_DAYS = 30;
export const EXPIRES_SOON_DAYS = 7;
const LIST_MAX = 20;

export type UsageRange = { from: Date; to: Date };

function checkRange({ from, to }: UsageRange): void {
  if (from.getTime() >= to.getTime()) throw new AppError('invalid_request', '"from" must be before "to"');
  if (to.getTime() - from.getTime() > MAX_USAGE_RANGE_DAYS * DAY_MS)
    throw new AppError('invalid_request', `the range is at most ${MAX_USAGE_RANGE_DAYS} days`);
}

export type UsageSeries = Array<{ start: Date; counts: Record<string, number>; total: number }>;

/** One key's exchanges per hour or day, each bucket's counts by outcome (`issued` and each refusal). */
export async function keyUsageReport(
  deps: ManagementDeps,
  caller: Caller,
  keyId: string,
  range: UsageRange,
  granularity: Granularity,
): Promise<UsageSeries> {
  checkRange(range);
  await getKey(deps, caller, keyId); // another org's key is a 404
  const series = new Map<number, UsageSeries[number]>();
  for (const b of await keyUsage(deps.db, { keyId, ...range, granularity })) {
    const at = b.start.getTime();
    const bucket = series.get(at) ?? { start: b.start, counts: {}, total: 0 };
    bucket.counts[b.outcome] = Number(b.count);
    bucket.total += Number(b.count);
    series.set(at, bucket);
  }
  return [...series.values()];
}

export type OrgUsageReport = {
  totals: Record<string, number>;
  busiestKeys: Array<{ keyId: string; issued: number; refused: number }>;
  quietKeys: ApiKey[];
  expiringKeys: ApiKey[];
};

/** An org's totals by outcome, its busiest keys, and the keys to look at: quiet for 30 days, expiring within 7. */
export async function orgUsageReport(deps: ManagementDeps, caller: Caller, range: UsageRange): Promise<OrgUsageReport> {
  checkRange(range);
  const now = new Date(deps.clock.now());
  const totals: Record<string, number> = {};
  const perKey = new Map<string, { keyId: string; issued: number; refused: number }>();
  for (const r of await orgUsage(deps.db, { orgId: caller.orgId, ...range })) {
    const n = Number(r.count);
    totals[r.outcome] = (totals[r.outcome] ?? 0) + n;
    const k = perKey.get(r.keyId) ?? { keyId: r.keyId, issued: 0, refused: 0 };
    if (r.outcome === 'issued') k.issued += n;
    else k.refused += n;
    perKey.set(r.keyId, k);
  }
  const busiestKeys = [...perKey.values()].sort((a, b) => b.issued + b.refused - (a.issued + a.refused)).slice(0, LIST_MAX);
  const [quietKeys, expiringKeys] = await Promise.all([
    findQuietKeys(deps.db, { orgId: caller.orgId, before: new Date(now.getTime() - QUIET_AFTER_DAYS * DAY_MS), now, limit: LIST_MAX }),
    findExpiringKeys(deps.db, { orgId: caller.orgId, now, until: new Date(now.getTime() + EXPIRES_SOON_DAYS * DAY_MS), limit: LIST_MAX }),
  ]);
  return { totals, busiestKeys, quietKeys, expiringKeys };
}
