import { z } from 'zod';

const OTEL_HEADERS_FORMAT = 'must be name=value pairs separated by commas (values URL-encoded), e.g. x-api-key=abc123';

/** OTEL_EXPORTER_OTLP_HEADERS as the OTel SDKs read it: `a=1,b=x%20y` → { a: '1', b: 'x y' }; undefined when malformed. */
function parseOtelHeaders(value: string): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    if (eq <= 0 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return undefined;
    try {
      headers[name.toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return headers;
}

// OpenTelemetry spans, exported by OTLP/HTTP (JSON) only when OTEL_EXPORTER_OTLP_ENDPOINT (the
// collector's base URL; spans go to …/v1/traces) is set; the standard variables of the OTel SDKs.
export const tracingEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .max(2_000)
    .optional(),
  // Extra headers of every export (a collector's API key): name=value,… with values URL-encoded.
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .max(8_000)
    .transform((v, ctx) => parseOtelHeaders(v) ?? (ctx.addIssue({ code: 'custom', message: OTEL_HEADERS_FORMAT }), z.NEVER))
    .optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(['http/json'], { error: 'only http/json is supported (OTLP over HTTP with JSON bodies)' })
    .default('http/json'),
  OTEL_SERVICE_NAME: z.string().min(1).max(256).default('scope-auth'),
  OTEL_SDK_DISABLED: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .default(false),
  // Milliseconds between span exports (the SDK's OTEL_BSP_SCHEDULE_DELAY).
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(1).max(60_000).default(5_000),
};

type TracingEnv = z.output<z.ZodObject<typeof tracingEnv>>;

/** Undefined unless OTEL_EXPORTER_OTLP_ENDPOINT is set (and OTEL_SDK_DISABLED is not true): no tracing. */
export function tracingConfig(e: TracingEnv) {
  if (e.OTEL_EXPORTER_OTLP_ENDPOINT === undefined || e.OTEL_SDK_DISABLED) return undefined;
  return Object.freeze({
    url: `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`,
    headers: Object.freeze(e.OTEL_EXPORTER_OTLP_HEADERS ?? {}),
    serviceName: e.OTEL_SERVICE_NAME,
    scheduledDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
  });
}
