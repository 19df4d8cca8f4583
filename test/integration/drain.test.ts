// While an instance drains for shutdown, its answers close their connections (issue 24, rolling
// restart): a keep-alive client moves its next request to another instance instead of racing the close
// of idle connections at the end of the drain, which it would see as ECONNRESET.
import { request as httpRequest } from 'node:http';
import { createApp } from '../../src/app.js';
import { createTestInstance, listen, type TestInstance } from '../support/app.js';

let inst: TestInstance;
let draining = false;
let srv: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  inst = await createTestInstance();
  srv = await listen(createApp(inst.deps, { isShuttingDown: () => draining }));
});
afterAll(async () => {
  await srv.close();
  await inst.close();
});

/** GET /healthz on a keep-alive connection; the Connection header of the answer. */
function connectionHeader(): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${srv.url}/healthz`, { headers: { Connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers.connection));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('draining for shutdown', () => {
  it('keeps connections alive normally, and closes each one with its answer while draining', async () => {
    expect(await connectionHeader()).toBe('keep-alive');
    draining = true;
    expect(await connectionHeader()).toBe('close');
  });
});
