import { once } from 'node:events';
import http from 'node:http';
import { metricsTokenVerdict } from './routes/metrics.js';

export type MetricsSource = { contentType: string; render(): Promise<string> };

/**
 * GET /metrics on a port of its own (METRICS_PORT): for a scrape kept off the public port, and for
 * the cluster primary, which has no app. Same token rule as the route.
 */
export async function startMetricsServer(o: {
  port: number;
  host: string;
  token: string | undefined;
  source: MetricsSource;
}): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Cache-Control': 'no-store', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics')
      return send(404, '{"error":"not_found","error_description":"only GET /metrics here"}');
    const verdict = metricsTokenVerdict(o.token, req.headers.authorization);
    if (verdict !== 'ok') {
      const challenge = verdict === 'missing' ? 'Bearer realm="scope-auth"' : 'Bearer realm="scope-auth", error="invalid_token"';
      return send(401, '{"error":"invalid_token","error_description":"a valid metrics token is required"}', {
        'WWW-Authenticate': challenge,
        'Content-Type': 'application/json',
      });
    }
    o.source.render().then(
      (body) => send(200, body, { 'Content-Type': o.source.contentType }),
      () =>
        send(503, '{"error":"unavailable","error_description":"metrics could not be collected"}', { 'Content-Type': 'application/json' }),
    );
  });
  server.listen(o.port, o.host);
  await once(server, 'listening');
  return server;
}
