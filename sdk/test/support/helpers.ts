import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenClient, type TokenClientOptions } from '../../src/index.js';

// A clock the test moves by hand: the service's, which fits the SDK's `Clock` as it is.
export { fakeClock } from '../../../src/clock.js';

/** Wraps global fetch and records every URL it is asked for. */
export function recordingFetch() {
  const calls: string[] = [];
  const fetchImpl = (input: string | URL, init?: RequestInit) => {
    calls.push(String(input));
    return fetch(input, init);
  };
  return {
    fetch: fetchImpl,
    calls,
    exchanges: () => calls.filter((u) => u.endsWith('/v1/token')).length,
  };
}

export type StubHandler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A tiny local HTTP server standing in for the outside world; `hits` records arrival times (ms). */
export async function startStub(handler: StubHandler) {
  const hits: number[] = [];
  const server = createServer((req, res) => {
    hits.push(Date.now());
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, hits.length));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export const tokenBody = (accessToken: string, expiresIn = 900) => ({
  access_token: accessToken,
  token_type: 'Bearer',
  expires_in: expiresIn,
  scope: 'read',
});

/** Resolves when `predicate` holds, polling every few ms; fails after `timeoutMs`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return Date.now() - start;
}

/**
 * A TokenClient factory for a test file: every client it made is closed after each test (a client's
 * refresh timer would otherwise outlive its test).
 */
export function tokenClients(): (options: TokenClientOptions) => TokenClient {
  const made: TokenClient[] = [];
  afterEach(() => {
    for (const c of made.splice(0)) c.close();
  });
  return (options) => {
    const c = new TokenClient(options);
    made.push(c);
    return c;
  };
}

/** Retries that wait milliseconds, not seconds. */
export const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };
