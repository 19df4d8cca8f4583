import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Deps } from '../deps.js';
import type { ErrorCode } from '../errors.js';
import type { ManagementScope } from '../domain/scopes.js';
import type { Permission } from '../domain/people/roles.js';

export type Method = 'get' | 'post' | 'patch' | 'delete';

/**
 * Who may call a route. The middleware in front of its handler, its OpenAPI security and its share
 * of the shared tests all follow from this field; a new kind (people's sessions) is one more variant.
 */
export type RouteAuth =
  /** `perIp`: limited per client address (the flows that open sessions without a password, e.g. SSO). */
  | { kind: 'public'; perIp?: true }
  /** Key credentials (HTTP Basic or the body); `orBearer`: the handler also takes a management token. */
  | { kind: 'client'; orBearer?: true }
  /**
   * A management access token holding every one of `scopes`, or a person's session whose role gives
   * `permission` (never both in one request).
   */
  | { kind: 'bearer'; scopes: readonly ManagementScope[]; permission: Permission }
  /** A person's session only (signing out, their own account); `permission` if the role must give one. */
  | { kind: 'session'; permission?: Permission };

export type RouteRequest = {
  query?: z.ZodObject;
  params?: z.ZodObject;
  json?: z.ZodType;
  form?: z.ZodType;
  /** A valid body: shown in the document, and sent by the shared protected-route tests. */
  example?: Record<string, unknown>;
  /** A valid form body, shown in the document. */
  formExample?: Record<string, unknown>;
};

export type RouteResponse = {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  /** Headers this response carries besides those every response, rate limit or error has. */
  headers?: ReadonlyArray<'ETag' | 'Cache-Control'>;
  example?: unknown;
};

/** What a handler factory gets once, when the app is built. */
export type RouteContext = {
  deps: Deps;
  isShuttingDown: () => boolean;
  /** Aborted at shutdown: long-lived responses (SSE) end so the server can close. */
  shutdownSignal: AbortSignal;
  /** The whole table, for the one route that documents the others. */
  routes: readonly Route[];
};

export type RouteHandler = (req: Request, res: Response) => void | Promise<void>;

/** One endpoint: everything about it that mounting, the document and the tests need. */
export type Route = {
  method: Method;
  /** Express form, '/v1/keys/:id'; the document's '/v1/keys/{id}' is derived from it. */
  path: string;
  /** More paths for the same handler in the same express layer, each its own operation in the document. */
  aliases?: ReadonlyArray<{ path: string; operationId: string }>;
  operationId: string;
  summary: string;
  tags: readonly string[];
  auth: RouteAuth;
  request?: RouteRequest;
  responses: Record<number, RouteResponse>;
  /** The route's own error codes; those of its `auth` are added from it. */
  errors?: readonly ErrorCode[];
  /** A public read-only document browsers may fetch cross-origin from CORS_ORIGINS. */
  cors?: true;
  /** Left out of the document: only the document itself. */
  undocumented?: true;
  handler: (ctx: RouteContext) => RouteHandler;
};

/** Every path a route answers at, with the operation each one is in the document. */
export function operationsOf(route: Route): Array<{ path: string; operationId: string }> {
  return [{ path: route.path, operationId: route.operationId }, ...(route.aliases ?? [])];
}

/** '/v1/keys/:id' → '/v1/keys/{id}' (OpenAPI path templating). */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

/** The names of a path's parameters, in order: '/v1/keys/:id' → ['id']. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}
