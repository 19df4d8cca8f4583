import { createServer, type Server } from 'node:http';

/** One span as OTLP/HTTP JSON carries it (only the fields the tests read). */
export type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number; message?: string };
};

/** OTLP SpanKind numbers. */
export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

/**
 * A real OTLP/HTTP receiver (JSON protocol): POST /v1/traces, every body kept as received so tests
 * can check both the span tree and that no secret was ever sent.
 */
export async function startOtlpReceiver(): Promise<{
  url: string;
  bodies: string[];
  spans(): OtlpSpan[];
  resources(): Record<string, unknown>[];
  close(): Promise<void>;
}> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !req.headers['content-type']?.startsWith('application/json')) {
        res.writeHead(404).end();
        return;
      }
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  type Batch = { resourceSpans: { resource: { attributes: { key: string; value: unknown }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
  const batches = () => bodies.map((b) => JSON.parse(b) as Batch);
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    spans: () => batches().flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
    resources: () =>
      batches().flatMap((b) =>
        b.resourceSpans.map((r) => Object.fromEntries(r.resource.attributes.map((a) => [a.key, Object.values(a.value as object)[0]]))),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A span's attributes as a plain object of values. */
export function attributesOf(span: OtlpSpan): Record<string, unknown> {
  return Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
}
