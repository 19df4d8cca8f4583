import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { Route } from '../route.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether an Authorization header may read the metrics: always without METRICS_TOKEN, else only its bearer. */
export function metricsTokenVerdict(token: string | undefined, authorization: string | undefined): 'ok' | 'missing' | 'invalid' {
  if (token === undefined) return 'ok';
  const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
  if (presented === undefined) return 'missing';
  // Digests of equal length, compared in constant time: the token's length leaks nothing either.
  return timingSafeEqual(digest(presented), digest(token)) ? 'ok' : 'invalid';
}

export const metricsRoutes: Route[] = [
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text format); with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`',
    tags: ['operations'],
    auth: { kind: 'public' },
    responses: { 200: { description: 'the exposition', contentType: 'text/plain; version=0.0.4' } },
    errors: ['invalid_token', 'not_found'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        if (!deps.config.metricsEnabled) throw new AppError('not_found', 'metrics are turned off (METRICS_ENABLED=false)');
        const verdict = metricsTokenVerdict(deps.config.metricsToken, req.get('authorization'));
        if (verdict === 'missing')
          throw new AppError('invalid_token', 'a metrics token is required', { reason: 'no_token' }, { challenge: 'bearer' });
        if (verdict === 'invalid') throw new AppError('invalid_token', 'the metrics token is not valid', { reason: 'metrics_token' });
        res.setHeader('Cache-Control', 'no-store');
        res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
      },
  },
];
