export const OTEL_HEADERS_FORMAT = 'must be name=value pairs separated by commas (values URL-encoded), e.g. x-api-key=abc123';

/** OTEL_EXPORTER_OTLP_HEADERS as the OTel SDKs read it: `a=1,b=x%20y` → { a: '1', b: 'x y' }; undefined when malformed. */
export function parseOtelHeaders(value: string): Record<string, string> | undefined {
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
