import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../errors.js';
import { readBearer } from '../middleware/bearer-auth.js';
import type { Route } from '../route.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export const metricsRoutes: Route[] = [
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text format); with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`',
    tags: ['operations'],
    auth: { kind: 'public' },
    responses: { 200: { description: 'the exposition', contentType: 'text/plain; version=0.0.4' } },
    errors: ['invalid_token'],
    handler: ({ deps }) => {
      const expected = deps.config.metricsToken === undefined ? undefined : digest(deps.config.metricsToken);
      return async (req, res) => {
        if (expected) {
          const presented = readBearer(req.get('authorization'));
          if (presented === undefined) throw new AppError('invalid_token', 'a metrics token is required', { reason: 'no_token' }, { challenge: 'bearer' });
          // Digests of equal length, compared in constant time: the token's length leaks nothing either.
          if (!timingSafeEqual(digest(presented), expected)) throw new AppError('invalid_token', 'the metrics token is not valid', { reason: 'metrics_token' });
        }
        res.setHeader('Cache-Control', 'no-store');
        res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
      };
    },
  },
];
