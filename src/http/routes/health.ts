import { z } from 'zod';
import type { Route } from '../route.js';

const CHECK_TIMEOUT_MS = 1_000;

async function check(fn: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS)));
  try {
    await Promise.race([fn(), timeout]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

const readiness = z
  .object({
    status: z.enum(['ok', 'degraded', 'unavailable']),
    /** `embedded` without DATABASE_URL; `in-process` without REDIS_URL (one instance). */
    database: z.enum(['postgres', 'embedded']),
    redis: z.enum(['redis', 'in-process']),
    checks: z.object({ postgres: z.enum(['ok', 'down']), redis: z.enum(['ok', 'down']), pubsub: z.enum(['ok', 'down']) }),
  })
  .meta({ id: 'Readiness' });

export const healthRoutes: Route[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'checkLiveness',
    summary: 'Liveness',
    tags: ['operations'],
    auth: { kind: 'public' },
    responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }).meta({ id: 'Liveness' }) } },
    // The process answers. Never depends on Postgres or Redis (a restart would not fix them).
    handler: () => (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ status: 'ok' });
    },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'checkReadiness',
    summary: 'Readiness: Postgres required; Redis or pub/sub down is reported as degraded',
    tags: ['operations'],
    auth: { kind: 'public' },
    responses: { 200: { description: 'ready or degraded', schema: readiness }, 503: { description: 'not ready', schema: readiness } },
    handler:
      ({ deps, isShuttingDown }) =>
      async (_req, res) => {
        res.setHeader('Cache-Control', 'no-store');
        const client = deps.redis;
        // In-process roles cannot be unreachable.
        const [postgres, redis] = await Promise.all([
          check(() => deps.db.raw('SELECT 1')),
          client ? check(() => client.ping()) : ('ok' as const),
        ]);
        const pubsub = deps.bus.isLive() ? 'ok' : 'down';
        const status = isShuttingDown() || postgres === 'down' ? 'unavailable' : redis === 'ok' && pubsub === 'ok' ? 'ok' : 'degraded';
        res.status(status === 'unavailable' ? 503 : 200).json({
          status,
          database: deps.database.mode === 'embedded' ? 'embedded' : 'postgres',
          redis: client ? 'redis' : 'in-process',
          checks: { postgres, redis, pubsub },
        });
      },
  },
];
