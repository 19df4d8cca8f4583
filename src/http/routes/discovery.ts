import { z } from 'zod';
import type { Config } from '../../config.js';
import { MANAGEMENT_SCOPES } from '../../domain/scopes.js';
import { VERSION } from '../../version.js';
import { buildOpenApi } from '../openapi.js';
import type { Route } from '../route.js';
import { introspectRoute, revokeTokenRoute } from './oauth.js';
import { OAUTH_TOKEN } from './token.js';

const jwksRoute: Route = {
  method: 'get',
  path: '/.well-known/jwks.json',
  operationId: 'getJwks',
  summary: 'Public signing keys (RFC 7517); cache per Cache-Control, revalidate with ETag',
  tags: ['discovery'],
  auth: { kind: 'public' },
  cors: true,
  responses: {
    200: {
      description: 'JWK set',
      schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).meta({ id: 'JwkSet' }),
      contentType: 'application/jwk-set+json',
      headers: ['ETag', 'Cache-Control'],
    },
    304: { description: 'not modified', headers: ['ETag', 'Cache-Control'] },
  },
  handler:
    ({ deps }) =>
    (req, res) => {
      const { body, etag } = deps.keyring.jwks();
      res.setHeader('Cache-Control', `public, max-age=${deps.config.jwksMaxAgeSeconds}, must-revalidate`);
      res.setHeader('ETag', etag);
      if (req.get('if-none-match') === etag) {
        res.status(304).end();
        return;
      }
      res.type('application/jwk-set+json').send(body);
    },
};

// Not an operation of the document it serves.
const openApiRoute: Route = {
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApi',
  summary: 'This API, as OpenAPI 3.1',
  tags: ['discovery'],
  auth: { kind: 'public' },
  cors: true,
  undocumented: true,
  responses: { 200: { description: 'the OpenAPI document' } },
  handler: ({ deps, routes }) => {
    const document = JSON.stringify(buildOpenApi(deps.config.issuer, VERSION, routes));
    return (_req, res) => {
      res.type('application/json').send(document);
    };
  },
};

/**
 * RFC 8414 authorization server metadata, IANA-registered members and values only. The Bearer
 * management token that introspection and revocation also take is no registered client
 * authentication method: the OpenAPI document describes it. The revocation list is found there too.
 */
function serverMetadata(config: Config) {
  const url = (route: { path: string }) => `${config.issuer}${route.path}`;
  const clientAuthMethods = ['client_secret_basic', 'client_secret_post'];
  return {
    issuer: config.issuer,
    token_endpoint: url(OAUTH_TOKEN),
    jwks_uri: url(jwksRoute),
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: clientAuthMethods,
    introspection_endpoint: url(introspectRoute),
    introspection_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint: url(revokeTokenRoute),
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    // RFC 8414 §2 makes this REQUIRED and validators (authlib) refuse an empty array. There is no
    // authorization endpoint; "none" (a registered response type) promises nothing from one.
    response_types_supported: ['none'],
    scopes_supported: [...MANAGEMENT_SCOPES],
    service_documentation: url(openApiRoute),
  };
}

const metadataRoute: Route = {
  method: 'get',
  path: '/.well-known/oauth-authorization-server',
  // Many clients (openid-client's default discovery among them) look there first.
  aliases: [{ path: '/.well-known/openid-configuration', operationId: 'getOpenIdConfiguration' }],
  operationId: 'getServerMetadata',
  summary: 'Authorization server metadata (RFC 8414)',
  tags: ['discovery'],
  auth: { kind: 'public' },
  cors: true,
  responses: {
    200: {
      description: 'metadata',
      schema: z.record(z.string(), z.unknown()).meta({ id: 'ServerMetadata', description: 'RFC 8414 §2' }),
      headers: ['Cache-Control'],
    },
  },
  handler: ({ deps }) => {
    const metadata = JSON.stringify(serverMetadata(deps.config));
    return (_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=3600');
      res.type('application/json').send(metadata);
    };
  },
};

export const discoveryRoutes: Route[] = [openApiRoute, jwksRoute, metadataRoute];
