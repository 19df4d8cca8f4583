import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { openApiPath, operationsOf, pathParams, type Route, type RouteAuth } from './route.js';

const errorBody = z.object({
  error: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
  error_description: z.string(),
});

/** What a route's authentication adds to its operation: its security schemes and its errors. */
function authDoc(auth: RouteAuth): { security: string[]; errors: ErrorCode[] } {
  switch (auth.kind) {
    case 'public':
      return { security: [], errors: [] };
    case 'client':
      return auth.orBearer
        ? { security: ['basic', 'bearer'], errors: ['invalid_client', 'invalid_token', 'rate_limited'] }
        : { security: ['basic'], errors: ['invalid_client', 'rate_limited'] };
    case 'bearer':
      return { security: ['bearer', 'session'], errors: ['invalid_request', 'invalid_token', 'invalid_credentials', 'insufficient_scope', 'forbidden', 'csrf_failed', 'rate_limited'] };
    case 'session':
      return { security: ['session'], errors: ['invalid_credentials', 'forbidden', 'csrf_failed', 'rate_limited'] };
  }
}

const toSchema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });

function parameters(where: 'query' | 'path', schema: z.ZodObject | undefined) {
  if (!schema) return [];
  const json = toSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

/** Every `:name` of the path is declared in `request.params`, and nothing else is: misuse is a TypeError. */
function pathParameters(route: Route) {
  const declared = parameters('path', route.request?.params);
  const names = pathParams(route.path);
  if (names.join() !== declared.map((p) => p.name).join()) {
    throw new TypeError(`${route.operationId}: path parameters ${names.join(', ') || 'none'} must be declared in request.params, in order`);
  }
  return declared;
}

function responses(route: Route): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, res] of Object.entries(route.responses)) {
    out[status] = {
      description: res.description,
      ...(res.schema ? { content: { [res.contentType ?? 'application/json']: { schema: toSchema(res.schema, 'output') } } } : {}),
    };
  }
  const codes = [...new Set([...authDoc(route.auth).errors, ...(route.errors ?? [])])].sort((a, b) => ERROR_STATUS[a] - ERROR_STATUS[b]);
  for (const code of codes) {
    const status = String(ERROR_STATUS[code]);
    const existing = out[status] as { description: string } | undefined;
    out[status] = {
      description: existing ? `${existing.description}, ${code}` : code,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return out;
}

function requestBody(route: Route) {
  const r = route.request;
  const content: Record<string, unknown> = {};
  if (r?.json) content['application/json'] = { schema: toSchema(r.json, 'input'), ...(r.example ? { example: r.example } : {}) };
  if (r?.form) content['application/x-www-form-urlencoded'] = { schema: toSchema(r.form, 'input') };
  return Object.keys(content).length > 0 ? { requestBody: { required: true, content } } : {};
}

function operation(route: Route) {
  const schemes = authDoc(route.auth).security;
  return {
    summary: route.summary,
    tags: route.tags,
    ...(schemes.length > 0 ? { security: schemes.map((s) => ({ [s]: [] })) } : {}),
    parameters: [...pathParameters(route), ...parameters('query', route.request?.query)],
    ...requestBody(route),
    responses: responses(route),
  };
}

/** OpenAPI 3.1 from the route table: the same zod schemas that validate requests. */
export function buildOpenApi(issuer: string, version: string, routes: readonly Route[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  for (const route of routes.filter((r) => !r.undocumented)) {
    const op = operation(route);
    for (const { path, operationId } of operationsOf(route)) {
      if (operationIds.has(operationId)) throw new TypeError(`operationId ${operationId} is used twice`);
      operationIds.add(operationId);
      (paths[openApiPath(path)] ??= {})[route.method] = { operationId, ...op };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'scope-auth', version, description: 'API keys exchanged for short-lived signed JWTs.' },
    servers: [{ url: issuer }],
    paths,
    components: {
      schemas: { Error: toSchema(errorBody, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        basic: { type: 'http', scheme: 'basic', description: 'client_id = key ID, client_secret = secret' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'scope-auth-session',
          description: 'a console session from POST /v1/session (`__Host-scope-auth-session` under https); changes also need the X-CSRF-Token header',
        },
      },
    },
  };
}
