import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';

export type RouteDoc = {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI style: /v1/keys/{id} */
  path: string;
  summary: string;
  tags: string[];
  /** 'bearer' (management token), 'client' (API key credentials), none when public. */
  security?: Array<'bearer' | 'basic'>;
  body?: { json?: z.ZodType; form?: z.ZodType };
  query?: z.ZodObject;
  params?: z.ZodObject;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  errors?: ErrorCode[];
};

export const errorBody = z.object({
  error: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
  error_description: z.string(),
});

const toSchema = (s: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });

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

/** OpenAPI 3.1, generated from the same zod schemas that validate requests. */
export function buildOpenApi(issuer: string, version: string, routes: RouteDoc[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = {
        description: res.description,
        ...(res.schema ? { content: { [res.contentType ?? 'application/json']: { schema: toSchema(res.schema, 'output') } } } : {}),
      };
    }
    for (const code of r.errors ?? []) {
      const status = String(ERROR_STATUS[code]);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing ? `${existing.description}, ${code}` : code,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const content: Record<string, unknown> = {};
    if (r.body?.json) content['application/json'] = { schema: toSchema(r.body.json, 'input') };
    if (r.body?.form) content['application/x-www-form-urlencoded'] = { schema: toSchema(r.body.form, 'input') };
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      tags: r.tags,
      ...(r.security ? { security: r.security.map((s) => ({ [s]: [] })) } : {}),
      parameters: [...parameters('path', r.params), ...parameters('query', r.query)],
      ...(Object.keys(content).length > 0 ? { requestBody: { required: true, content } } : {}),
      responses,
    };
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
      },
    },
  };
}
