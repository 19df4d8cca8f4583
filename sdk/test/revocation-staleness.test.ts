// maxStalenessSeconds: a verifier whose revocation source has not confirmed for that long that its
// list is current fails closed with `unavailable`, instead of trusting a list that may miss revocations.
// HTTP: the stand-in issuer's feed and stream are switched off; Redis: the real Redis sits behind a
// TCP proxy that the test cuts or freezes (a hung Redis). Time moves through the injected clock.
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { newPrefix } from '../../test/support/file-resources.js';
import { TEST_REDIS_URL } from '../../test/support/env.js';
import { createVerifier, ScopeAuthError, type Verifier, type VerifierOptions } from '../src/index.js';
import { eventually, fakeClock } from './support/helpers.js';
import { LOCAL_ISSUER, startLocalIssuer, type LocalIssuer } from './support/local-issuer.js';
import { startTcpProxy } from '../../test/support/tcp-proxy.js';

let issuer: LocalIssuer;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
beforeEach(async () => {
  issuer = await startLocalIssuer();
});
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
  await issuer.close();
});
afterAll(() => redis.disconnect());

const STALE = 'unavailable: revocation list is stale (no confirmation from its source within maxStalenessSeconds)';

function verifier(revocation: VerifierOptions['revocation']) {
  const clock = fakeClock();
  const v = createVerifier({
    issuer: LOCAL_ISSUER,
    audience: LOCAL_ISSUER,
    jwksUrl: `${issuer.url}/.well-known/jwks.json`,
    revocation,
    clock,
  });
  cleanup.push(() => v.close());
  return { v, clock };
}

async function outcome(v: Verifier, token: string): Promise<string> {
  return v.verify(token).then(
    () => 'ok',
    (e: unknown) => (e instanceof ScopeAuthError ? `${e.code}: ${e.description}` : String(e)),
  );
}

const keyId = () => `key_${randomUUID().replace(/-/g, '').slice(0, 26).toUpperCase()}`;

describe('HTTP source', () => {
  it('fails closed once neither feed nor stream has confirmed the list for maxStalenessSeconds, and recovers', async () => {
    const { v, clock } = verifier({ authUrl: issuer.url, pollIntervalMs: 50, maxStalenessSeconds: 30 });
    await v.ready();
    await eventually(() => issuer.openStreams() === 1, 5_000, 'the stream to open');
    const token = await issuer.sign({ sub: keyId() });
    clock.advance(29_000);
    expect(await outcome(v, token)).toBe('ok');

    // The service goes away: stream cut, feed failing.
    issuer.state.feedStatus = 503;
    issuer.state.streamStatus = 503;
    issuer.dropStreams();
    clock.advance(2_000);
    expect(await outcome(v, token)).toBe(STALE);
    expect(await v.verify(token).catch((e: unknown) => e)).toMatchObject({ code: 'unavailable', status: 503 });

    // Back: a successful poll confirms the list again.
    issuer.state.feedStatus = 200;
    await eventually(async () => (await outcome(v, token)) === 'ok', 5_000, 'a poll to confirm the list');
  });

  it('counts the stream heartbeat and events as confirmation while the stream is open', async () => {
    const { v, clock } = verifier({ authUrl: issuer.url, pollIntervalMs: 60_000, maxStalenessSeconds: 30 });
    await v.ready();
    await eventually(() => issuer.openStreams() === 1, 5_000, 'the stream to open');
    const token = await issuer.sign({ sub: keyId() });

    clock.advance(31_000);
    expect(await outcome(v, token)).toBe(STALE);
    issuer.ping();
    await eventually(async () => (await outcome(v, token)) === 'ok', 5_000, 'the heartbeat to confirm the list');

    clock.advance(31_000);
    expect(await outcome(v, token)).toBe(STALE);
    issuer.revoke({ type: 'token', key_id: keyId(), jti: randomUUID() });
    await eventually(async () => (await outcome(v, token)) === 'ok', 5_000, 'the event to confirm the list');
  });

  it('has no bound by default', async () => {
    const { v, clock } = verifier({ authUrl: issuer.url, pollIntervalMs: 50 });
    await v.ready();
    issuer.state.feedStatus = 503;
    issuer.state.streamStatus = 503;
    issuer.dropStreams();
    clock.advance(600_000);
    expect(await outcome(v, await issuer.sign({ sub: keyId() }))).toBe('ok');
  });
});

describe('Redis source', () => {
  async function setup(maxStalenessSeconds: number) {
    const proxy = await startTcpProxy(TEST_REDIS_URL);
    cleanup.push(() => proxy.close());
    const prefix = newPrefix();
    await redis.hset(`{${prefix}}rev:entries`, 'ready', String(Date.now()));
    const { v, clock } = verifier({ redisUrl: proxy.url, keyPrefix: prefix, maxStalenessSeconds });
    await v.ready();
    return { v, clock, proxy, token: await issuer.sign({ sub: keyId() }) };
  }

  it('fails closed once the subscription has been down for maxStalenessSeconds, and recovers after the reload', async () => {
    const { v, clock, proxy, token } = await setup(30);
    clock.advance(1_000);
    await eventually(async () => (await outcome(v, token)) === 'ok', 5_000, 'the list to be current');

    await proxy.cut();
    clock.advance(31_000);
    expect(await outcome(v, token)).toBe(STALE);

    await proxy.restore();
    await eventually(async () => (await outcome(v, token)) === 'ok', 5_000, 'the reconnection and reload');
  });

  it('fails closed while Redis hangs (connection open, no answer), as when it is stopped', async () => {
    const { v, clock, proxy, token } = await setup(1);
    expect(await outcome(v, token)).toBe('ok');

    proxy.pause();
    clock.advance(2_000);
    // A ping sent after the clock moved, unanswered (the next waits for its answer): a ping proves
    // nothing until it is answered.
    await eventually(() => proxy.heldCount('ping') >= 1, 5_000, 'a ping sent into the hung Redis');
    expect(await outcome(v, token)).toBe(STALE);

    proxy.resume();
    await eventually(async () => (await outcome(v, token)) === 'ok', 5_000, 'a ping to be answered');
  });
});

it('refuses a maxStalenessSeconds that is not a positive number', () => {
  for (const bad of [0, -1, Number.NaN, Infinity]) {
    expect(() =>
      createVerifier({
        issuer: LOCAL_ISSUER,
        audience: LOCAL_ISSUER,
        revocation: { authUrl: 'https://auth.example.com', maxStalenessSeconds: bad },
      }),
    ).toThrow(TypeError);
  }
});
