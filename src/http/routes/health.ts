import { Router } from 'express';
import type { Deps } from '../../deps.js';
import type { RouteDoc } from '../openapi.js';
import { z } from 'zod';

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

export function healthRoutes(deps: Pick<Deps, 'db' | 'redis' | 'bus'>, isShuttingDown: () => boolean): Router {
  const router = Router();
  // Liveness: the process answers. Never depends on Postgres or Redis (a restart would not fix them).
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  // Readiness: Postgres is required; without Redis we still serve (slower), reported as degraded.
  router.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const [postgres, redis] = await Promise.all([check(() => deps.db.raw('SELECT 1')), check(() => deps.redis.ping())]);
    const pubsub = deps.bus.isLive() ? 'ok' : 'down';
    const status = isShuttingDown() || postgres === 'down' ? 'unavailable' : redis === 'ok' && pubsub === 'ok' ? 'ok' : 'degraded';
    res.status(status === 'unavailable' ? 503 : 200).json({ status, checks: { postgres, redis, pubsub } });
  });
  return router;
}

const readiness = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  checks: z.object({ postgres: z.enum(['ok', 'down']), redis: z.enum(['ok', 'down']), pubsub: z.enum(['ok', 'down']) }),
});

export const healthDocs: RouteDoc[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness', tags: ['operations'], responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } } },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Postgres required; Redis or pub/sub down is reported as degraded',
    tags: ['operations'],
    responses: { 200: { description: 'ready or degraded', schema: readiness }, 503: { description: 'not ready', schema: readiness } },
  },
];
