import { z } from 'zod';
import {
  EXPIRES_SOON_DAYS,
  keyUsageReport,
  MAX_USAGE_RANGE_DAYS,
  orgUsageReport,
  QUIET_AFTER_DAYS,
  type UsageRange,
} from '../../domain/usage-report.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';
import { keyView } from '../serializers.js';
import { callerOf } from '../caller.js';
import { idParam, KEY, keyIdParam } from './keys.js';

const isoDate = z.iso.datetime({ offset: true });
const rangeQuery = {
  from: isoDate.optional().describe('start (inclusive); default: 24 hours before `to`'),
  to: isoDate.optional().describe('end (exclusive); default: now'),
};
const keyUsageQuery = z.strictObject({ ...rangeQuery, granularity: z.enum(['hour', 'day']).default('hour') });
const orgUsageQuery = z.strictObject(rangeQuery);

const counts = z.record(z.string(), z.number().int()).describe('by outcome: issued, and each refusal reason');
const keyUsageAnswer = z
  .object({
    key_id: z.string(),
    granularity: z.enum(['hour', 'day']),
    from: z.string(),
    to: z.string(),
    data: z.array(z.object({ start: z.string(), counts, total: z.number().int() })),
  })
  .meta({ id: 'KeyUsage' });
const orgUsageAnswer = z
  .object({
    from: z.string(),
    to: z.string(),
    totals: counts,
    busiest_keys: z.array(z.object({ key_id: z.string(), issued: z.number().int(), refused: z.number().int() })),
    unused_keys: z.array(z.record(z.string(), z.unknown())).describe(`active keys never used or idle for ${QUIET_AFTER_DAYS}+ days`),
    expiring_keys: z.array(z.record(z.string(), z.unknown())).describe(`active keys expiring within ${EXPIRES_SOON_DAYS} days`),
  })
  .meta({ id: 'OrgUsage' });

const HOUR_MS = 3_600_000;
function rangeOf(q: { from?: string; to?: string }, nowMs: number): UsageRange {
  const to = q.to ? new Date(q.to) : new Date(nowMs);
  return { from: q.from ? new Date(q.from) : new Date(to.getTime() - 24 * HOUR_MS), to };
}

export const usageRoutes: Route[] = [
  {
    method: 'get',
    path: `${KEY}/usage`,
    operationId: 'getKeyUsage',
    summary: `One key's exchanges per hour or day, by outcome (scope audit:read); at most ${MAX_USAGE_RANGE_DAYS} days per answer`,
    tags: ['usage'],
    // A person needs keys:read: a developer sees the usage of their own keys only (getKey confines them).
    auth: { kind: 'bearer', scopes: ['audit:read'], permission: 'keys:read' },
    request: { params: idParam, query: keyUsageQuery },
    responses: {
      200: { description: 'the series, oldest first (hours or UTC days with no exchange are left out)', schema: keyUsageAnswer },
    },
    errors: ['not_found'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        const id = keyIdParam(req);
        const q = parse(keyUsageQuery, req.query);
        const range = rangeOf(q, deps.clock.now());
        const series = await keyUsageReport(deps, callerOf(req, res), id, range, q.granularity);
        res.json({
          key_id: id,
          granularity: q.granularity,
          from: range.from.toISOString(),
          to: range.to.toISOString(),
          data: series.map((b) => ({ start: b.start.toISOString(), counts: b.counts, total: b.total })),
        });
      },
  },
  {
    method: 'get',
    path: '/v1/usage',
    operationId: 'getOrgUsage',
    summary:
      "The org's exchanges by outcome, its busiest keys, and keys to look at: unused for 30 days, expiring within 7 (scope audit:read)",
    tags: ['usage'],
    auth: { kind: 'bearer', scopes: ['audit:read'], permission: 'audit:read' },
    request: { query: orgUsageQuery },
    responses: { 200: { description: 'the report', schema: orgUsageAnswer } },
    handler:
      ({ deps }) =>
      async (req, res) => {
        const range = rangeOf(parse(orgUsageQuery, req.query), deps.clock.now());
        const r = await orgUsageReport(deps, callerOf(req, res), range);
        const now = deps.clock.now();
        res.json({
          from: range.from.toISOString(),
          to: range.to.toISOString(),
          totals: r.totals,
          busiest_keys: r.busiestKeys.map((k) => ({ key_id: k.keyId, issued: k.issued, refused: k.refused })),
          unused_keys: r.quietKeys.map((k) => keyView(k, now)),
          expiring_keys: r.expiringKeys.map((k) => keyView(k, now)),
        });
      },
  },
];
