import http from 'node:http';
import net from 'node:net';
import { waitFor } from '../support/app.js';
import { serveInDeployment } from '../support/cli.js';
import { deploymentSuite } from '../support/deployment.js';
import { createKey } from '../support/fixtures.js';

type Outcome = { status?: number; error?: string };

/** A request on a connection of its own; `sent` resolves once all of it has been handed to the kernel. */
function post(port: number, body: string): { sent: Promise<void>; outcome: Promise<Outcome> } {
  let sent!: () => void;
  const sentP = new Promise<void>((r) => (sent = r));
  const outcome = new Promise<Outcome>((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/token',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      sent();
      resolve({ error: err.code ?? err.message });
    });
    req.on('finish', sent);
    req.end(body);
  });
  return { sent: sentP, outcome };
}

/**
 * A request the server has certainly received: it answers `Expect: 100-continue` once it has read
 * the headers, then gets half the body, and the rest only at `release`.
 */
function postHeld(port: number, body: string, release: Promise<void>): { received: Promise<void>; outcome: Promise<Outcome> } {
  let received!: () => void;
  const receivedP = new Promise<void>((r) => (received = r));
  const outcome = new Promise<Outcome>((resolve) => {
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      Connection: 'close',
      Expect: '100-continue',
    };
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/token', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.on('continue', () => {
      req.write(body.slice(0, 10));
      received();
      void release.then(() => req.end(body.slice(10)));
    });
  });
  return { received: receivedP, outcome };
}

/** Resolves once the server refuses new connections: its drain is over and it has stopped accepting. */
async function stoppedAccepting(port: number): Promise<void> {
  const refused = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
  await waitFor(refused, 15_000, 'the server to stop accepting connections');
}

describe('graceful shutdown', () => {
  const suite = deploymentSuite();

  it('on SIGTERM finishes in-flight requests, flushes last_used_at and audit records, and exits 0', async () => {
    const { prefix, config, deps, org } = await suite.freshOrg();
    const db = suite.db();
    const keys = await Promise.all(Array.from({ length: 4 }, () => createKey(deps, org)));
    const wrong = (await createKey(deps, org)).secret;

    const { child, output } = serveInDeployment(prefix, config.issuer, {
      PORT: '0',
      LAST_USED_FLUSH_SECONDS: '60', // so only the shutdown flush can have written them
      RATE_LIMIT_ENABLED: 'false',
      SHUTDOWN_TIMEOUT_MS: '5000',
      // As behind a load balancer: requests that reached us before the signal are served.
      SHUTDOWN_DRAIN_MS: '500',
    });
    await waitFor(() => /"port":(\d+)/.test(output()), 15_000, 'server to listen');
    const port = Number(/"port":(\d+)/.exec(output())![1]);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    // Requests in flight when the signal arrives: bodies held back until the drain is over.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const inFlight = [
      ...keys.map((k) => postHeld(port, JSON.stringify({ org_id: k.key.orgId, key_id: k.key.id, secret: k.secret }), released)),
      ...keys.map((k) => postHeld(port, JSON.stringify({ org_id: k.key.orgId, key_id: k.key.id, secret: wrong }), released)),
    ];
    // And a burst sent just before the signal, still being answered when it arrives. (Only requests
    // written before it: one whose bytes a starved client writes after the drain (500 ms here) meets
    // a closing server, and an idle connection is closed, as HTTP allows.)
    const burst = Array.from({ length: 40 }, (_, i) =>
      post(
        port,
        JSON.stringify({ org_id: keys[i % 4]!.key.orgId, key_id: keys[i % 4]!.key.id, secret: i % 2 ? keys[i % 4]!.secret : wrong }),
      ),
    );
    await Promise.all([...inFlight.map((r) => r.received), ...burst.map((r) => r.sent)]);
    child.kill('SIGTERM');
    await stoppedAccepting(port);
    release();

    const held = await Promise.all(inFlight.map((r) => r.outcome));
    expect(held.map((o) => o.status)).toEqual([200, 200, 200, 200, 401, 401, 401, 401]);
    const raced = await Promise.all(burst.map((r) => r.outcome));
    // Every burst request was answered or never accepted. Closing the listener makes the kernel reset
    // connections still waiting in its queue (ECONNRESET): on a loaded machine a starved server has
    // not taken them all by the end of the drain (6 of 40 in one run of ten). The held requests
    // above, certainly received, show that nothing accepted is cut off, and the records below that
    // nothing answered is lost.
    expect(raced.filter((o) => !(o.status === 200 || o.status === 401 || o.error === 'ECONNREFUSED' || o.error === 'ECONNRESET'))).toEqual(
      [],
    );
    expect(raced.filter((o) => o.status !== undefined).length).toBeGreaterThan(0);
    expect(await exited).toBe(0);

    // Nothing lost: last-used times and refusal records written by the shutdown flush.
    const rows = await db('api_keys').whereIn(
      'id',
      keys.map((k) => k.key.id),
    );
    for (const r of rows) expect(r.last_used_at).not.toBeNull();
    const refused = 4 + raced.filter((o) => o.status === 401).length;
    const audited = await db('audit_events')
      .where({ action: 'exchange.rejected' })
      .whereIn(
        'target_id',
        keys.map((k) => k.key.id),
      );
    expect(audited).toHaveLength(refused);
    expect(output()).toContain('server.stopped');
  });
});
