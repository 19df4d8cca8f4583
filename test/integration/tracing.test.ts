// OpenTelemetry export (issue 20, item 6), against a real OTLP/HTTP receiver: the span tree of an
// exchange and of a management call, the caller's traceparent continued, nothing secret in any span,
// spans flushed at shutdown; and with OTEL_EXPORTER_OTLP_ENDPOINT unset, the SDK never loaded.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newPrefix, testConfig, trackChild, waitFor } from '../support/app.js';
import { ensureBuilt } from '../support/build.js';
import { isolatedDatabase } from '../support/databases.js';
import { TEST_ISSUER, TEST_REDIS_URL } from '../support/env.js';
import { ADMIN_SCOPES, createKey, createOrg } from '../support/fixtures.js';
import { SPAN_KIND, attributesOf, startOtlpReceiver, type OtlpSpan } from '../support/otlp-receiver.js';
import { startServer } from '../../src/main.js';
import { createLogger } from '../../src/log.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The spans below `parent`, by name (several with one name: the first). */
const childrenOf = (spans: OtlpSpan[], parent: OtlpSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
const descendantsOf = (spans: OtlpSpan[], root: OtlpSpan): OtlpSpan[] =>
  childrenOf(spans, root).flatMap((c) => [c, ...descendantsOf(spans, c)]);

describe('OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  it('exports the span tree of an exchange and a management call, continuing the traceparent, with nothing secret', async () => {
    const receiver = await startOtlpReceiver();
    const databaseUrl = await isolatedDatabase('tracing');
    const config = testConfig(
      newPrefix(),
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'scope-auth-test', OTEL_BSP_SCHEDULE_DELAY: '60000' },
      databaseUrl,
    );
    const running = await startServer(config, { log: createLogger('silent'), port: 0, announceSetup: false });
    const base = `http://127.0.0.1:${running.port}`;
    let secret = '';
    let token = '';
    let createdSecret = '';
    const traceId = hex(16);
    const callerSpanId = hex(8);
    try {
      // Until the bus is live the key cache is bypassed; the tree below is that of a cold cache.
      await waitFor(() => running.deps.bus.isLive(), 5_000, 'event bus to go live');
      const org = await createOrg(running.deps);
      const made = await createKey(running.deps, org, { scopes: ADMIN_SCOPES });
      secret = made.secret;
      const exchanged = await fetch(`${base}/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpanId}-01` },
        body: JSON.stringify({ org_id: org.id, key_id: made.key.id, secret }),
      });
      expect(exchanged.status).toBe(200);
      token = ((await exchanged.json()) as { access_token: string }).access_token;
      const created = await fetch(`${base}/v1/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: 'made by the test', scopes: ['keys:read'] }),
      });
      expect(created.status).toBe(201);
      createdSecret = ((await created.json()) as { secret: string }).secret;
      // A refusal: an outcome of the exchange span, not an error of the service.
      const refused = await fetch(`${base}/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ org_id: org.id, key_id: made.key.id, secret: createdSecret }), // another key's
      });
      expect(refused.status).toBe(401);
      // Nothing exported yet (a minute between batches): the shutdown must flush them.
      expect(receiver.bodies).toHaveLength(0);
    } finally {
      await running.shutdown();
    }
    try {
      const spans = receiver.spans();
      expect(receiver.resources()[0]).toMatchObject({ 'service.name': 'scope-auth-test', 'service.version': '0.1.0' });

      // The exchange: a server span continuing the caller's trace, the exchange inside it, the key
      // lookup inside that, and the lookup's Postgres query (the cache was cold) inside the lookup.
      const server = spans.find((s) => s.name === 'POST /v1/token' && s.traceId === traceId);
      expect(server).toMatchObject({ kind: SPAN_KIND.SERVER, parentSpanId: callerSpanId });
      expect(attributesOf(server!)).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/v1/token',
        'http.response.status_code': 200,
      });
      const exchange = childrenOf(spans, server!).find((s) => s.name === 'token.exchange');
      expect(exchange).toBeDefined();
      expect(attributesOf(exchange!)).toMatchObject({
        'scope_auth.outcome': 'issued',
        'scope_auth.key_id': expect.stringMatching(/^key_/),
      });
      const lookup = childrenOf(spans, exchange!).find((s) => s.name === 'key.lookup');
      expect(attributesOf(lookup!)).toMatchObject({ 'scope_auth.key_cache': 'miss' });
      const query = childrenOf(spans, lookup!).find((s) => s.name === 'SELECT api_keys');
      expect(query).toMatchObject({ kind: SPAN_KIND.CLIENT, traceId });
      expect(attributesOf(query!)).toMatchObject({
        'db.system.name': 'postgresql',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'api_keys',
      });
      // Bound values never: the SQL carries placeholders only.
      expect(String(attributesOf(query!)['db.query.text'])).toMatch(/\?|\$1/);

      // The management call: a new trace (no traceparent), its Postgres writes and the Redis
      // commands of its rate limit below the server span.
      const create = spans.find((s) => s.name === 'POST /v1/keys');
      expect(create).toMatchObject({ kind: SPAN_KIND.SERVER });
      expect(create!.parentSpanId ?? '').toBe('');
      expect(create!.traceId).not.toBe(traceId);
      expect(attributesOf(create!)['http.response.status_code']).toBe(201);
      const below = descendantsOf(spans, create!);
      expect(below.some((s) => s.name === 'INSERT api_keys' && s.kind === SPAN_KIND.CLIENT)).toBe(true);
      expect(below.some((s) => attributesOf(s)['db.system.name'] === 'redis')).toBe(true);

      // The refused exchange: the exchange span says why; neither it nor the server span is an error.
      const refusedServer = spans.find((s) => s.name === 'POST /v1/token' && attributesOf(s)['http.response.status_code'] === 401);
      const refusedExchange = childrenOf(spans, refusedServer!).find((s) => s.name === 'token.exchange');
      expect(attributesOf(refusedExchange!)).toMatchObject({ 'error.type': 'invalid_client', 'scope_auth.reason': 'wrong_secret' });
      expect(refusedExchange!.status?.code ?? 0).toBe(0);

      // Nothing secret anywhere in what was sent: secrets, tokens, the pepper, any credential shape.
      const sent = receiver.bodies.join('\n');
      for (const s of [secret, createdSecret, token, token.split('.')[2]!, config.secretPepper.toString('utf8')])
        expect(sent).not.toContain(s);
      expect(sent).not.toMatch(/sk_(live|test)_[0-9A-Za-z]{20}|eyJ[\w-]{10,}|authorization|Bearer/i);
    } finally {
      await receiver.close();
    }
  });
});

describe('OpenTelemetry tracing (a real `serve`)', () => {
  beforeAll(() => ensureBuilt('server'));

  /** Runs `serve` with the modules it resolves recorded; one exchange, then SIGTERM. */
  async function serveOnce(extraEnv: Record<string, string>): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'scope-auth-imports-'));
    const record = join(dir, 'imports.txt');
    const databaseUrl = await isolatedDatabase('tracing_serve');
    const env = {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: newPrefix(),
      ISSUER: TEST_ISSUER,
      SECRET_PEPPER: 'test-pepper-0123456789abcdef0123456789abcdef',
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: '0',
      ...extraEnv,
    };
    const cli = (args: string[], recordTo?: string) =>
      spawn('node', ['--import', `${ROOT}test/support/record-imports.mjs`, `${ROOT}bin/scope-auth.js`, ...args], {
        env: { ...env, ...(recordTo ? { RECORD_IMPORTS_TO: recordTo } : {}) },
      });
    try {
      const boot = await new Promise<Record<string, string>>((resolve, reject) => {
        const c = cli(['bootstrap', '--org-name', 'T', '--json']);
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.once('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out) as Record<string, string>) : reject(new Error(`bootstrap exited ${code}`)),
        );
      });
      const server = trackChild(cli(['serve', '--migrate'], record));
      let logs = '';
      server.stdout.on('data', (d: Buffer) => (logs += d.toString()));
      await waitFor(() => /"server\.listening"/.test(logs), 15_000, 'serve to listen');
      const port = Number(/"port":(\d+)/.exec(logs)![1]);
      const res = await fetch(`http://127.0.0.1:${port}/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(boot),
      });
      expect(res.status).toBe(200);
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
      return readFileSync(record, 'utf8').split('\n').filter(Boolean);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // Everything of tracing but the API (whose no-op tracer the call sites hold) and the flag module.
  const TRACING = /@opentelemetry\/(?!api\/)|\/dist\/src\/tracing-(http|storage)\.js$/;

  it('with OTEL_EXPORTER_OTLP_ENDPOINT unset, loads nothing of OpenTelemetry but its API: no SDK, no exporter, no span code', async () => {
    const imports = await serveOnce({});
    // The recording works: the app's own modules and the API are there.
    expect(imports.some((u) => u.endsWith('/dist/src/tracing.js'))).toBe(true);
    expect(imports.filter((u) => TRACING.test(u))).toEqual([]);
  });

  it('with it set, loads them and exports the spans of the exchange by the time SIGTERM has stopped the server', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const imports = await serveOnce({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
      expect(imports.some((u) => /@opentelemetry\/exporter-trace-otlp-http\//.test(u))).toBe(true);
      expect(imports.some((u) => u.endsWith('/dist/src/tracing-http.js'))).toBe(true);
      const names = receiver.spans().map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['POST /v1/token', 'token.exchange', 'key.lookup']));
    } finally {
      await receiver.close();
    }
  });
});
