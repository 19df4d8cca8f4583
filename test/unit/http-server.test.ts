import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import express, { type Express, type Request, type Response } from 'express';
import { createHttpServer } from '../../src/http/server.js';

// V8's own view of two objects' hidden classes (the reason createHttpServer exists).
setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a V8 intrinsic can only be reached through source text
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

type Pair = { reqs: boolean; ress: boolean; sameApiAsExpress: boolean };

/** Holds two concurrent requests at the same point of handling, then compares them. */
function pairingApp(): { app: Express; pairs: Pair[] } {
  const app = express();
  const pairs: Pair[] = [];
  let waiting: [Request, Response][] = [];
  app.get('/pair', (req, res) => {
    waiting.push([req, res]);
    if (waiting.length < 2) return;
    const [[q1, s1], [q2, s2]] = waiting as [[Request, Response], [Request, Response]];
    waiting = [];
    pairs.push({
      reqs: haveSameMap(q1, q2),
      ress: haveSameMap(s1, s2),
      sameApiAsExpress: q1.app === app && q1.get('x-probe') === 'yes' && q1.ip !== undefined,
    });
    s1.json({ ok: true });
    s2.status(201).json({ ok: true });
  });
  return { app, pairs };
}

async function sendPairs(server: http.Server, count: number): Promise<number[]> {
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const get = () =>
    new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/pair', agent, headers: { 'x-probe': 'yes' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
  const statuses: number[] = [];
  try {
    for (let i = 0; i < count; i++) statuses.push(...(await Promise.all([get(), get()])));
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  return statuses.sort();
}

describe('createHttpServer', () => {
  it('gives all requests one hidden class, and all responses another, with the express API intact', async () => {
    const { app, pairs } = pairingApp();
    const statuses = await sendPairs(createHttpServer(app), 4);
    expect(statuses).toEqual([200, 200, 200, 200, 201, 201, 201, 201]);
    expect(pairs).toEqual(Array(4).fill({ reqs: true, ress: true, sameApiAsExpress: true }));
  });

  it('is needed: served by http.createServer(app), every request and response has a hidden class of its own', async () => {
    const { app, pairs } = pairingApp();
    await sendPairs(http.createServer(app), 2);
    expect(pairs).toEqual(Array(2).fill({ reqs: false, ress: false, sameApiAsExpress: true }));
  });

  it('wires an app once, however many servers it gets', async () => {
    const { app, pairs } = pairingApp();
    createHttpServer(app);
    const chain = Object.getPrototypeOf(app.request) as object;
    await sendPairs(createHttpServer(app), 1);
    expect(Object.getPrototypeOf(app.request)).toBe(chain);
    expect(pairs).toEqual([{ reqs: true, ress: true, sameApiAsExpress: true }]);
  });
});
