// The console's files as the service serves them (issue 21, point 1): a page's CSP, long-lived caching for
// hashed assets only, every screen's URL answered with the page, and the API's JSON 404 for the rest.
import { readdirSync } from 'node:fs';
import request from 'supertest';
import { CONSOLE_DIR } from '../../src/http/console/static.js';
import { createTestInstance, type TestInstance } from '../support/app.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(() => inst.close());

const script = () => readdirSync(`${CONSOLE_DIR}/assets`).find((f) => f.endsWith('.js'));

describe('/console', () => {
  it.each(['/console/', '/console/keys', '/console/keys/key_0123', '/console/setup'])('%s answers the page, never cached', async (path) => {
    const res = await request(inst.app).get(path).set('Accept', 'text/html').expect(200);
    expect(res.type).toBe('text/html');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toContain('<div id="app">');
  });

  it('forbids inline script, eval and framing, and allows only its own origin', async () => {
    const csp = (await request(inst.app).get('/console/').set('Accept', 'text/html')).headers['content-security-policy'] as string;
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives).toMatchObject({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'self'",
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
    });
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('caches hashed assets for a year, immutable', async () => {
    const name = script();
    expect(name).toMatch(/-[\w-]{8}\.js$/);
    const res = await request(inst.app).get(`/console/assets/${name}`).expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.type).toBe('text/javascript');
  });

  it('answers a missing asset, or a request for JSON, with the JSON 404', async () => {
    const missing = await request(inst.app).get('/console/assets/nope-12345678.js').expect(404);
    expect(missing.body).toEqual({ error: 'not_found', error_description: expect.any(String) });
    await request(inst.app).get('/console/keys').set('Accept', 'application/json').expect(404);
  });
});
