import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { ERROR_EXAMPLES, HEADERS, securitySchemes, TAG_DESCRIPTIONS, type HeaderName } from './openapi-components.js';
import { openApiPath, operationsOf, pathParams, type Route, type RouteAuth } from './route.js';

const errorBody = z
  .object({
    error: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
    error_description: z.string(),
  })
  .meta({ id: 'Error', description: 'every error: an RFC 6749/6750 code where one exists, and a description for people' });

type Security = Array<Record<string, string[]>>;

/** What a route's authentication adds to its operation: its security requirements and its errors. */
function authDoc(auth: RouteAuth): { security: Security; errors: ErrorCode[]; rateLimited: boolean } {
  switch (auth.kind) {
    case 'public':
      return { security: [], errors: auth.perIp ? ['rate_limited'] : [], rateLimited: auth.perIp === true };
    case 'client':
      return auth.orBearer
        ? {
            security: [{ basic: [] }, { oauth2: [] }],
            errors: ['invalid_request', 'invalid_client', 'invalid_token', 'rate_limited', 'unavailable'],
            rateLimited: true,
          }
        : { security: [{ basic: [] }], errors: ['invalid_request', 'invalid_client', 'rate_limited', 'unavailable'], rateLimited: true };
    case 'bearer':
      // A management token holding the scopes, or a console session whose role gives the permission.
      return {
        security: [{ oauth2: [...auth.scopes] }, { session: [] }],
        errors: [
          'invalid_request',
          'invalid_token',
          'invalid_credentials',
          'insufficient_scope',
          'forbidden',
          'csrf_failed',
          'rate_limited',
          'unavailable',
        ],
        rateLimited: true,
      };
    case 'session':
      return {
        security: [{ session: [] }],
        errors: ['invalid_credentials', 'forbidden', 'csrf_failed', 'rate_limited', 'unavailable'],
        rateLimited: true,
      };
  }
}

type JsonSchema = Record<string, unknown>;

/**
 * Converts zod schemas, moving every one named with `.meta({ id })` into `components.schemas` so
 * that generated clients get a type per name; a name used for two different shapes is a TypeError.
 */
function createSchemaStore() {
  const components: Record<string, JsonSchema> = {};
  const relink = (value: unknown): unknown => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/'));
  function add(name: string, schema: JsonSchema) {
    const existing = components[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(schema))
      throw new TypeError(`schema name ${name} names two different shapes`);
    components[name] = schema;
  }
  /** `body`: a request body's schema, whose defaults move into descriptions (see `describeDefaults`). */
  function convert(s: z.ZodType, io: 'input' | 'output' | 'body'): JsonSchema {
    const converted = z.toJSONSchema(s, {
      target: 'draft-2020-12',
      io: io === 'body' ? 'input' : io,
      unrepresentable: 'any',
    }) as JsonSchema;
    const { $schema: _, $defs, ...json } = (io === 'body' ? describeDefaults(converted) : converted) as JsonSchema;
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) add(name, relink(def) as JsonSchema);
    return relink(json) as JsonSchema;
  }
  return { convert, components };
}
type SchemaStore = ReturnType<typeof createSchemaStore>;

/**
 * Generators (openapi-typescript by default) make a property with a `default` required, which in a
 * request body would force callers to send what the server fills in: the default is said in words.
 */
function describeDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(describeDefaults);
  if (typeof value !== 'object' || value === null) return value;
  const { default: fallback, ...rest } = value as Record<string, unknown>;
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, describeDefaults(v)]));
  if (fallback === undefined) return out;
  const said = `default ${JSON.stringify(fallback)}`;
  return { ...out, description: typeof out.description === 'string' ? `${out.description}; ${said}` : said };
}

function parameters(store: SchemaStore, where: 'query' | 'path', schema: z.ZodObject | undefined) {
  if (!schema) return [];
  const json = store.convert(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

/** Every `:name` of the path is declared in `request.params`, and nothing else is: misuse is a TypeError. */
function pathParameters(store: SchemaStore, route: Route) {
  const declared = parameters(store, 'path', route.request?.params);
  const names = pathParams(route.path);
  if (names.join() !== declared.map((p) => p.name).join()) {
    throw new TypeError(`${route.operationId}: path parameters ${names.join(', ') || 'none'} must be declared in request.params, in order`);
  }
  return declared;
}

const headerRefs = (names: HeaderName[]) => Object.fromEntries([...new Set(names)].map((n) => [n, { $ref: `#/components/headers/${n}` }]));

/** The headers a status carries, besides those a route names itself. */
function headersFor(status: number, codes: ErrorCode[], rateLimited: boolean): HeaderName[] {
  const names: HeaderName[] = ['X-Request-Id'];
  if (rateLimited && (status < 300 || status === 429)) names.push('RateLimit', 'RateLimit-Policy');
  if (status === 429 || status === 503) names.push('Retry-After');
  if (status === 401 || codes.includes('insufficient_scope') || (status === 400 && rateLimited)) names.push('WWW-Authenticate');
  return names;
}

function responses(store: SchemaStore, route: Route): Record<string, unknown> {
  const { errors: authErrors, rateLimited } = authDoc(route.auth);
  const out: Record<string, unknown> = {};
  for (const [status, res] of Object.entries(route.responses)) {
    out[status] = {
      description: res.description,
      headers: headerRefs([...headersFor(Number(status), [], rateLimited), ...(res.headers ?? [])]),
      ...(res.schema
        ? {
            content: {
              [res.contentType ?? 'application/json']: {
                schema: store.convert(res.schema, 'output'),
                ...(res.example ? { example: res.example } : {}),
              },
            },
          }
        : {}),
    };
  }
  // Any operation can fail unexpectedly.
  const codes = [...new Set<ErrorCode>([...authErrors, ...(route.errors ?? []), 'internal_error'])].sort(
    (a, b) => ERROR_STATUS[a] - ERROR_STATUS[b],
  );
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  for (const [status, statusCodes] of byStatus) {
    if (out[String(status)]) continue; // the route documents that status itself (readyz's 503)
    const first = statusCodes[0]!;
    out[String(status)] = {
      description: statusCodes.join(', '),
      headers: headerRefs(headersFor(status, statusCodes, rateLimited)),
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/Error' },
          example: { error: first, error_description: ERROR_EXAMPLES[first] ?? first },
        },
      },
    };
  }
  return out;
}

function requestBody(store: SchemaStore, route: Route) {
  const r = route.request;
  const content: Record<string, unknown> = {};
  if (r?.json) content['application/json'] = { schema: store.convert(r.json, 'body'), ...(r.example ? { example: r.example } : {}) };
  if (r?.form)
    content['application/x-www-form-urlencoded'] = {
      schema: store.convert(r.form, 'body'),
      ...(r.formExample ? { example: r.formExample } : {}),
    };
  return Object.keys(content).length > 0 ? { requestBody: { required: true, content } } : {};
}

function operation(store: SchemaStore, route: Route) {
  return {
    summary: route.summary,
    tags: route.tags,
    // Public operations say so (`[]`), so tools never guess at a default.
    security: authDoc(route.auth).security,
    parameters: [...pathParameters(store, route), ...parameters(store, 'query', route.request?.query)],
    ...requestBody(store, route),
    responses: responses(store, route),
  };
}

/** OpenAPI 3.1 from the route table: the same zod schemas that validate requests. */
export function buildOpenApi(issuer: string, version: string, routes: readonly Route[]) {
  const store = createSchemaStore();
  store.convert(errorBody, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  for (const route of routes.filter((r) => !r.undocumented)) {
    const op = operation(store, route);
    for (const { path, operationId } of operationsOf(route)) {
      if (operationIds.has(operationId)) throw new TypeError(`operationId ${operationId} is used twice`);
      operationIds.add(operationId);
      (paths[openApiPath(path)] ??= {})[route.method] = { operationId, ...op };
    }
  }
  const tags = [...new Set(routes.filter((r) => !r.undocumented).flatMap((r) => r.tags))].map((name) => ({
    name,
    ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}),
  }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'scope-auth',
      version,
      description: 'API keys exchanged for short-lived signed JWTs.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: issuer }],
    tags,
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(store.components).sort(([a], [b]) => a.localeCompare(b))),
      headers: HEADERS,
      securitySchemes: securitySchemes(issuer),
    },
  };
}
