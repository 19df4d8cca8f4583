import { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { Keyring } from '../../domain/signing-keys.js';
import { MANAGEMENT_SCOPES } from '../../domain/scopes.js';
import type { RouteDoc } from '../openapi.js';

/** RFC 8414 authorization server metadata. */
export function serverMetadata(config: Config) {
  return {
    issuer: config.issuer,
    token_endpoint: `${config.issuer}/oauth/token`,
    jwks_uri: `${config.issuer}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    introspection_endpoint: `${config.issuer}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'bearer'],
    revocation_endpoint: `${config.issuer}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'bearer'],
    response_types_supported: [],
    scopes_supported: [...MANAGEMENT_SCOPES],
    service_documentation: `${config.issuer}/openapi.json`,
    revocation_list_endpoint: `${config.issuer}/v1/revocations`,
  };
}

const jwksResponse = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

export function discoveryRoutes(deps: { config: Config; keyring: Keyring }): Router {
  const router = Router();
  const metadata = JSON.stringify(serverMetadata(deps.config));

  router.get('/.well-known/jwks.json', (req, res) => {
    const { body, etag } = deps.keyring.jwks();
    res.setHeader('Cache-Control', `public, max-age=${deps.config.jwksMaxAgeSeconds}, must-revalidate`);
    res.setHeader('ETag', etag);
    if (req.get('if-none-match') === etag) {
      res.status(304).end();
      return;
    }
    res.type('application/jwk-set+json').send(body);
  });

  router.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('application/json').send(metadata);
  });
  return router;
}

export const discoveryDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    summary: 'Public signing keys (RFC 7517); cache per Cache-Control, revalidate with ETag',
    tags: ['discovery'],
    responses: { 200: { description: 'JWK set', schema: jwksResponse, contentType: 'application/jwk-set+json' }, 304: { description: 'not modified' } },
  },
  {
    method: 'get',
    path: '/.well-known/oauth-authorization-server',
    summary: 'Authorization server metadata (RFC 8414)',
    tags: ['discovery'],
    responses: { 200: { description: 'metadata', schema: z.record(z.string(), z.unknown()) } },
  },
];
