import type { NextFunction, Request, Response } from 'express';

export type ProtectedResourceMetadataOptions = {
  /** This resource's canonical URI (RFC 8707 / RFC 9728 `resource`): the `aud` its tokens carry. */
  resource: string;
  /** Issuer URLs of the authorization servers whose tokens it takes (the scope-auth `ISSUER`). */
  authorizationServers: string[];
  /** Scopes it understands (`scopes_supported`). */
  scopes?: string[];
  /** A name for people (`resource_name`). */
  resourceName?: string;
};

/** The RFC 9728 §2 document. */
export type ProtectedResourceMetadata = {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: ['header'];
  scopes_supported?: string[];
  resource_name?: string;
};

export type ProtectedResourceMetadataHandler = ((req: Request, res: Response, next: NextFunction) => void) & {
  metadata: ProtectedResourceMetadata;
  /** Where the document is (RFC 9728 §3.1): give it to `requireAuth({ resourceMetadataUrl })`. */
  metadataUrl: string;
  /** The paths it answers at: the well-known path under the resource's path, and at the root. */
  paths: string[];
};

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * Checks that `resource` is a canonical URI: absolute, http(s), lowercase scheme and host, no
 * fragment, query or default port, so that exact `aud` matching means what it says.
 */
export function canonicalResource(resource: string): URL {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    throw new TypeError(`resource must be an absolute URI, got ${JSON.stringify(resource)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('resource must be an http(s) URI');
  const canonical = url.pathname === '/' && !resource.endsWith('/') ? url.href.slice(0, -1) : url.href;
  if (url.hash || url.search || canonical !== resource) {
    throw new TypeError(`resource must be a canonical URI (no fragment or query, lowercase scheme and host): ${JSON.stringify(resource)}`);
  }
  return url;
}

/**
 * Express middleware serving RFC 9728 protected-resource metadata at
 * `/.well-known/oauth-protected-resource` followed by the resource's path (§3.1), and at
 * `/.well-known/oauth-protected-resource` itself; other requests pass through.
 */
export function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): ProtectedResourceMetadataHandler {
  const url = canonicalResource(options.resource);
  if (!Array.isArray(options.authorizationServers) || options.authorizationServers.length === 0) {
    throw new TypeError('authorizationServers must name at least one issuer');
  }
  const metadata: ProtectedResourceMetadata = {
    resource: options.resource,
    authorization_servers: [...options.authorizationServers],
    bearer_methods_supported: ['header'],
    ...(options.scopes ? { scopes_supported: [...options.scopes] } : {}),
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
  };
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  const paths = [...new Set([`${WELL_KNOWN}${path}`, WELL_KNOWN])];
  const body = JSON.stringify(metadata);
  const handler = (req: Request, res: Response, next: NextFunction): void => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !paths.includes(req.path)) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.setHeader('Access-Control-Allow-Origin', '*'); // public metadata, fetched by browser-based clients too
    res.type('application/json').send(body);
  };
  return Object.assign(handler, { metadata, metadataUrl: `${url.origin}${paths[0]}`, paths });
}
