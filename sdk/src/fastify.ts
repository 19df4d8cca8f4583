import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createBearerAuth } from './bearer-auth.js';
import type { Claims } from './claims.js';
import type { RequireAuthOptions } from './middleware.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified token claims, set by the scope-auth hook. */
    auth?: Claims;
  }
}

export type FastifyRequireAuth = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * A Fastify `preHandler` hook doing what `requireAuth` does for express (same verifier, same RFC 6750
 * answers): `app.get('/r', { preHandler: fastifyRequireAuth({ verifier, scopes }) }, handler)`.
 */
export function fastifyRequireAuth(options: RequireAuthOptions): FastifyRequireAuth {
  const authenticate = createBearerAuth(options.verifier, options.scopes ?? [], options);
  return async (request, reply) => {
    const outcome = await authenticate(request.headers.authorization);
    if (outcome.ok) {
      request.auth = outcome.claims;
      return;
    }
    await reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
  };
}

/**
 * A Fastify plugin protecting every route registered after it in the context that registers it:
 * `app.register(async (api) => { await api.register(scopeAuthPlugin, { verifier }); api.get(…) })`.
 */
export const scopeAuthPlugin: FastifyPluginAsync<RequireAuthOptions> = Object.assign(
  (instance: Parameters<FastifyPluginAsync<RequireAuthOptions>>[0], options: RequireAuthOptions) => {
    instance.addHook('preHandler', fastifyRequireAuth(options));
    return Promise.resolve();
  },
  // What fastify-plugin sets: the hook belongs to the registering context, not a child of its own.
  { [Symbol.for('skip-override')]: true },
);
