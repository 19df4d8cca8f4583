// End to end: a key revoked through the management API is refused by the verifier as soon as the
// revocation is pushed, for each revocation source, against the real service.
import request from 'supertest';
import { createTestInstance, listen, newPrefix, type TestInstance } from '../../test/support/app.js';
import { createAdmin, createKey, exchange } from '../../test/support/fixtures.js';
import { TEST_ISSUER, TEST_REDIS_URL } from '../../test/support/env.js';
import { createVerifier, ScopeAuthError, type RevocationOptions, type Verifier } from '../src/index.js';
import { eventually } from './support/helpers.js';

let inst: TestInstance;
let srv: Awaited<ReturnType<typeof listen>>;
let prefix: string;

beforeAll(async () => {
  prefix = newPrefix();
  inst = await createTestInstance({ prefix });
  srv = await listen(inst.app);
});
afterAll(async () => {
  await srv.close();
  await inst.close();
});

const verifiers: Verifier[] = [];
afterEach(async () => {
  for (const v of verifiers.splice(0)) await v.close();
});

async function outcome(v: Verifier, token: string): Promise<string> {
  return v.verify(token).then(
    () => 'ok',
    (e: unknown) => (e instanceof ScopeAuthError ? e.code : String(e)),
  );
}

// What each source asked the service for (the Redis source asks nothing over HTTP).
const feedCalls: string[] = [];
const recordFeed = (input: string | URL, init?: RequestInit) => {
  feedCalls.push(String(input));
  return fetch(input, init);
};
const isFeedPoll = (url: string) => new URL(url).pathname === '/v1/revocations';

// Pushed, not polled: a Redis source reads the list only when it (re)subscribes and once a minute,
// and an HTTP source polls only while its stream is down, which the recorded feed calls show.
const sources: [string, () => RevocationOptions][] = [
  ['redis', () => ({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix })],
  ['authUrl (feed + SSE)', () => ({ authUrl: srv.url, fetch: recordFeed })],
];

describe.each(sources)('revocation through %s', (_name, revocation) => {
  async function setup() {
    const admin = await createAdmin(inst.deps, inst.app);
    const { key, secret } = await createKey(inst.deps, admin.org, { scopes: ['read'] });
    const token = await exchange(inst.app, { org_id: admin.org.id, key_id: key.id, secret });
    const v = createVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_ISSUER,
      jwksUrl: `${srv.url}/.well-known/jwks.json`,
      revocation: revocation(),
    });
    verifiers.push(v);
    await v.ready();
    return { admin, key, secret, token, v };
  }

  it('refuses the tokens of a key as soon as the revocation is pushed, without polling', async () => {
    const { admin, key, token, v } = await setup();
    expect(await outcome(v, token)).toBe('ok');

    const callsBefore = feedCalls.length;
    const res = await fetch(`${srv.url}/v1/keys/${key.id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'sdk test' }),
    });
    expect(res.status).toBe(200);
    await eventually(async () => (await outcome(v, token)) === 'token_revoked', 5_000, 'the verifier to refuse the revoked key');
    expect(feedCalls.slice(callsBefore).filter(isFeedPoll)).toEqual([]);
  });

  it('refuses a single token revoked by jti (RFC 7009)', async () => {
    const { admin, key, secret, token, v } = await setup();
    const other = await exchange(inst.app, { org_id: admin.org.id, key_id: key.id, secret });
    const callsBefore = feedCalls.length;
    const res = await fetch(`${srv.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: key.id, client_secret: secret }),
    });
    expect(res.status).toBe(200);
    await eventually(async () => (await outcome(v, token)) === 'token_revoked', 5_000, 'the verifier to refuse the revoked token');
    expect(feedCalls.slice(callsBefore).filter(isFeedPoll)).toEqual([]);
    expect(await outcome(v, other)).toBe('ok');
  });
});

it('catches up after the stream connection is cut (resume with Last-Event-ID, feed polling meanwhile)', async () => {
  const admin = await createAdmin(inst.deps, inst.app);
  const { key, secret } = await createKey(inst.deps, admin.org, { scopes: ['read'] });
  const token = await exchange(inst.app, { org_id: admin.org.id, key_id: key.id, secret });
  const v = createVerifier({ issuer: TEST_ISSUER, audience: TEST_ISSUER, revocation: { authUrl: srv.url, fetch: recordFeed } });
  verifiers.push(v);
  await v.ready();
  expect(await outcome(v, token)).toBe('ok');

  const callsBefore = feedCalls.length;
  srv.server.closeAllConnections();
  // Through the app directly: the listening server's connections were just cut.
  await request(inst.app).post(`/v1/keys/${key.id}/revoke`).set('Authorization', `Bearer ${admin.token}`).send({}).expect(200);
  await eventually(async () => (await outcome(v, token)) === 'token_revoked', 5_000, 'the verifier to catch up');
  // Caught up by a poll from where it was (?after=) or by the resumed stream (Last-Event-ID),
  // never by reloading the whole list (that happens once a minute).
  const since = feedCalls.slice(callsBefore).map((u) => new URL(u));
  expect(since.length).toBeGreaterThan(0);
  expect(since.filter((u) => u.pathname === '/v1/revocations' && !u.searchParams.has('after'))).toEqual([]);
});

it('defaults the JWKS to {authUrl}/.well-known/jwks.json with an HTTP source', async () => {
  const admin = await createAdmin(inst.deps, inst.app);
  const v = createVerifier({ issuer: TEST_ISSUER, audience: TEST_ISSUER, revocation: { authUrl: srv.url } });
  verifiers.push(v);
  await expect(v.verify(admin.token)).resolves.toMatchObject({ sub: admin.key.id });
});
