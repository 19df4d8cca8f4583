// Contract tests of the two revocation sources against the wire format in the brief:
// the Redis hash/ready-marker/channel written by hand into the real Redis, and the
// HTTP feed and SSE stream served by a local stand-in issuer.
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { newPrefix } from '../../test/support/file-resources.js';
import { TEST_REDIS_URL } from '../../test/support/env.js';
import { createVerifier, ScopeAuthError, type Verifier, type VerifierOptions } from '../src/index.js';
import { eventually } from './support/helpers.js';
import { LOCAL_ISSUER, startLocalIssuer, type LocalIssuer, type WireEntry } from './support/local-issuer.js';

let issuer: LocalIssuer;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
beforeEach(async () => {
  issuer = await startLocalIssuer();
});
afterEach(async () => {
  for (const v of verifiers.splice(0)) await v.close();
  await issuer.close();
});
afterAll(() => redis.disconnect());

const verifiers: Verifier[] = [];
function verifier(revocation: VerifierOptions['revocation']): Verifier {
  const v = createVerifier({ issuer: LOCAL_ISSUER, audience: LOCAL_ISSUER, jwksUrl: `${issuer.url}/.well-known/jwks.json`, revocation });
  verifiers.push(v);
  return v;
}

const keyId = () => `key_${randomUUID().replace(/-/g, '').slice(0, 26).toUpperCase()}`;
const now = () => Math.floor(Date.now() / 1000);

async function outcome(v: Verifier, token: string): Promise<string> {
  return v.verify(token).then(
    () => 'ok',
    (e: unknown) => (e instanceof ScopeAuthError ? e.code : String(e)),
  );
}

function entry(e: Omit<WireEntry, 'expires_at' | 'revoked_at'> & { revoked_at?: number }): WireEntry {
  return { revoked_at: now(), expires_at: now() + 900, ...e };
}
const field = (e: WireEntry) => (e.type === 'key' ? `key:${e.key_id}` : `jti:${e.jti}`);

describe('Redis revocation source', () => {
  async function seed(prefix: string, entries: WireEntry[], ready = true) {
    for (const e of entries) await redis.hset(`{${prefix}}rev:entries`, field(e), JSON.stringify(e));
    // The ready marker is a field of the hash itself, so a flush removes both at once.
    if (ready) await redis.hset(`{${prefix}}rev:entries`, 'ready', String(Date.now()));
  }

  it('loads the hash, refuses revoked keys and tokens, and ignores malformed entries', async () => {
    const prefix = newPrefix();
    const [revokedKey, liveKey] = [keyId(), keyId()];
    const jti = randomUUID();
    await seed(prefix, [entry({ seq: 1, type: 'key', key_id: revokedKey }), entry({ seq: 2, type: 'token', key_id: liveKey, jti })]);
    await redis.hset(`{${prefix}}rev:entries`, 'junk', '{"seq":"x"');
    // Only `key:<id>` and `jti:<jti>` fields are entries, whatever another field holds.
    const strayKey = keyId();
    await redis.hset(`{${prefix}}rev:entries`, 'other', JSON.stringify(entry({ seq: 3, type: 'key', key_id: strayKey })));
    const v = verifier({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix });
    await v.ready();

    expect(await outcome(v, await issuer.sign({ sub: strayKey }))).toBe('ok');

    expect(await outcome(v, await issuer.sign({ sub: revokedKey, iat: now() - 10 }))).toBe('token_revoked');
    expect(await outcome(v, await issuer.sign({ sub: liveKey, jti }))).toBe('token_revoked');
    expect(await outcome(v, await issuer.sign({ sub: liveKey }))).toBe('ok');
  });

  it('refuses every token of a revoked key, even one issued after revoked_at', async () => {
    const prefix = newPrefix();
    const k = keyId();
    await seed(prefix, [entry({ seq: 1, type: 'key', key_id: k, revoked_at: now() - 60 })]);
    const v = verifier({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix });
    await v.ready();
    // A stale instance may mint for a revoked key after the revoke (issue 16, point 2).
    expect(await outcome(v, await issuer.sign({ sub: k, iat: now() - 61 }))).toBe('token_revoked');
    expect(await outcome(v, await issuer.sign({ sub: k, iat: now() }))).toBe('token_revoked');
  });

  it('applies a pub/sub message as it arrives', async () => {
    const prefix = newPrefix();
    await seed(prefix, []);
    const v = verifier({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix });
    await v.ready();
    const k = keyId();
    const token = await issuer.sign({ sub: k });
    expect(await outcome(v, token)).toBe('ok');

    // Published only, never written to the hash: nothing but the message can bring it.
    const e = entry({ seq: 7, type: 'key', key_id: k });
    await redis.publish(`${prefix}revocations`, JSON.stringify(e));
    await eventually(async () => (await outcome(v, token)) === 'token_revoked', 5_000, 'the revocation to apply');
    expect(await redis.hexists(`{${prefix}}rev:entries`, field(e))).toBe(0);
  });

  it('waits for the ready marker, failing closed until then', async () => {
    const prefix = newPrefix();
    const k = keyId();
    await seed(prefix, [entry({ seq: 1, type: 'key', key_id: k })], false);
    const v = verifier({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix, readyTimeoutMs: 300 });
    const token = await issuer.sign({ sub: k, iat: now() - 5 });
    const err = await v.verify(token).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unavailable', status: 503, description: 'revocation list not loaded yet' });

    await redis.hset(`{${prefix}}rev:entries`, 'ready', String(Date.now()));
    await v.ready();
    expect(await outcome(v, token)).toBe('token_revoked');
  });

  it('takes the ready marker from the hash only: a separate rev:ready key is not enough', async () => {
    const prefix = newPrefix();
    const k = keyId();
    await seed(prefix, [entry({ seq: 1, type: 'key', key_id: k })], false);
    await redis.set(`${prefix}rev:ready`, String(Date.now()));
    const v = verifier({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix, readyTimeoutMs: 300 });
    const token = await issuer.sign({ sub: k });
    expect(await outcome(v, token)).toBe('unavailable');

    await redis.hset(`{${prefix}}rev:entries`, 'ready', String(Date.now()));
    await v.ready();
    expect(await outcome(v, token)).toBe('token_revoked');
  });

  it('keeps what it has through a flush and picks up entries it missed after a reconnection', async () => {
    const prefix = newPrefix();
    const [a, b] = [keyId(), keyId()];
    await seed(prefix, [entry({ seq: 1, type: 'key', key_id: a })]);
    const v = verifier({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix });
    await v.ready();
    const tokenA = await issuer.sign({ sub: a, iat: now() - 5 });
    const tokenB = await issuer.sign({ sub: b, iat: now() - 5 });

    // Flush: list and marker gone together. Entries already held still count.
    await redis.del(`{${prefix}}rev:entries`);
    expect(await outcome(v, tokenA)).toBe('token_revoked');

    // Cut the verifier's connections; while it is away, b is revoked (the message is lost) and the list rebuilt.
    const clients = (await redis.client('LIST')) as string;
    const ids = clients
      .split('\n')
      .filter((line) => line.includes(`name=scope-auth-sdk:${prefix}`))
      .map((line) => /id=(\d+)/.exec(line)![1]!);
    expect(ids.length).toBe(2);
    for (const id of ids) await redis.client('KILL', 'ID', id);
    const e = entry({ seq: 2, type: 'key', key_id: b });
    await redis.publish(`${prefix}revocations`, JSON.stringify(e));
    await seed(prefix, [entry({ seq: 1, type: 'key', key_id: a }), e]);

    await eventually(async () => (await outcome(v, tokenB)) === 'token_revoked', 5_000, 'the reload after reconnecting');
    expect(await outcome(v, tokenA)).toBe('token_revoked');
  });
});

describe('HTTP revocation source (feed + SSE stream)', () => {
  it('loads the feed, then applies streamed entries as they arrive', async () => {
    const old = keyId();
    issuer.revoke({ type: 'key', key_id: old });
    const v = verifier({ authUrl: issuer.url });
    await v.ready();
    expect(await outcome(v, await issuer.sign({ sub: old, iat: now() - 5 }))).toBe('token_revoked');

    await eventually(() => issuer.openStreams() === 1, 5_000, 'the stream to open');
    // The stream resumed after what the feed returned.
    expect(issuer.state.streamConnects.at(-1)).toBe('1');
    const k = keyId();
    const jti = randomUUID();
    const byKey = await issuer.sign({ sub: k, iat: now() - 5 });
    const byJti = await issuer.sign({ sub: keyId(), jti });
    expect(await outcome(v, byKey)).toBe('ok');
    const feedQueries = issuer.state.feedQueries.length;
    issuer.revoke({ type: 'key', key_id: k });
    issuer.revoke({ type: 'token', key_id: 'key_x', jti });
    await eventually(async () => (await outcome(v, byJti)) === 'token_revoked', 5_000, 'the streamed entries');
    expect(await outcome(v, byKey)).toBe('token_revoked');
    // Streamed, not polled: the feed was not asked again.
    expect(issuer.state.feedQueries).toHaveLength(feedQueries);
  });

  it('refuses every token of a revoked key, even one issued after revoked_at', async () => {
    const k = keyId();
    issuer.revoke({ type: 'key', key_id: k, revoked_at: now() - 60 });
    const v = verifier({ authUrl: issuer.url });
    await v.ready();
    expect(await outcome(v, await issuer.sign({ sub: k, iat: now() }))).toBe('token_revoked');
  });

  it('resumes the stream with Last-Event-ID after a drop and receives what it missed', async () => {
    const v = verifier({ authUrl: issuer.url, pollIntervalMs: 60_000 });
    await v.ready();
    await eventually(() => issuer.openStreams() === 1, 5_000, 'the stream to open');
    const first = issuer.revoke({ type: 'key', key_id: keyId() });
    const missedKey = keyId();
    const token = await issuer.sign({ sub: missedKey, iat: now() - 5 });
    await eventually(
      async () => (await outcome(v, await issuer.sign({ sub: first.key_id, iat: now() - 5 }))) === 'token_revoked',
      5_000,
      'first',
    );

    // The feed is down too, so only the resumed stream can deliver what was missed.
    issuer.state.feedStatus = 503;
    issuer.dropStreams();
    issuer.revoke({ type: 'key', key_id: missedKey }, true);
    await eventually(async () => (await outcome(v, token)) === 'token_revoked', 5_000, 'the missed entry');
    expect(issuer.state.streamConnects).toEqual(['0', '1']);
  });

  it('polls the feed with ?after= while the stream is unavailable', async () => {
    issuer.state.streamStatus = 503;
    const v = verifier({ authUrl: issuer.url, pollIntervalMs: 50, maxReconnectDelayMs: 100 });
    await v.ready();
    const k = keyId();
    const token = await issuer.sign({ sub: k, iat: now() - 5 });
    expect(await outcome(v, token)).toBe('ok');
    issuer.revoke({ type: 'key', key_id: k });
    await eventually(async () => (await outcome(v, token)) === 'token_revoked', 5_000, 'the polled entry');
    expect(issuer.state.feedQueries.slice(0, 2)).toEqual(['', '?after=0']);
    await eventually(() => issuer.state.feedQueries.includes('?after=1'), 5_000, 'a poll after seq 1');

    // Once the stream is back, polling stops. A witness verifier whose stream stays down polls on
    // the same 50 ms schedule: its polls count the intervals that pass.
    issuer.state.streamStatus = 200;
    await eventually(() => issuer.openStreams() === 1, 5_000, 'the stream to come back');
    const down = await startLocalIssuer();
    try {
      down.state.streamStatus = 503;
      verifier({ authUrl: down.url, pollIntervalMs: 50 });
      const intervals = (n: number) => {
        const from = down.state.feedQueries.length;
        return eventually(() => down.state.feedQueries.length >= from + n, 5_000, `${n} poll intervals`);
      };
      await intervals(2); // a poll in flight when the stream opened has landed
      const polls = issuer.state.feedQueries.length;
      await intervals(6);
      expect(issuer.state.feedQueries.length).toBe(polls);
    } finally {
      await down.close();
    }
  });

  it('follows the feed pages (after=last_seq) until has_more is false before counting the list loaded', async () => {
    issuer.state.pageSize = 2;
    issuer.state.streamStatus = 503;
    const keys = [keyId(), keyId(), keyId(), keyId(), keyId()];
    for (const k of keys) issuer.revoke({ type: 'key', key_id: k });
    const v = verifier({ authUrl: issuer.url, pollIntervalMs: 60_000 });
    await v.ready();
    for (const k of keys) expect(await outcome(v, await issuer.sign({ sub: k }))).toBe('token_revoked');
    expect(issuer.state.feedQueries.slice(0, 3)).toEqual(['', '?after=2', '?after=4']);
  });

  it('fails closed while a page of the first load fails', async () => {
    issuer.state.pageSize = 2;
    issuer.state.failFeedAfterSeq = 2;
    const keys = [keyId(), keyId(), keyId()];
    for (const k of keys) issuer.revoke({ type: 'key', key_id: k });
    const v = verifier({ authUrl: issuer.url, pollIntervalMs: 50, readyTimeoutMs: 100 });
    const last = await issuer.sign({ sub: keys[2]! });
    expect(await outcome(v, last)).toBe('unavailable');

    issuer.state.failFeedAfterSeq = Infinity;
    // The next poll loads it; ready() waits only readyTimeoutMs (100 ms here), which a loaded machine can miss.
    await eventually(async () => (await outcome(v, last)) === 'token_revoked', 10_000, 'the list to load once the feed answers');
  });

  it('takes a feed without has_more as complete (older services)', async () => {
    issuer.state.legacyFeed = true;
    const k = keyId();
    issuer.revoke({ type: 'key', key_id: k });
    const v = verifier({ authUrl: issuer.url });
    await v.ready();
    expect(await outcome(v, await issuer.sign({ sub: k }))).toBe('token_revoked');
  });

  it('fails closed until the feed has loaded once', async () => {
    issuer.state.feedStatus = 503;
    issuer.state.streamStatus = 503;
    const v = verifier({ authUrl: issuer.url, pollIntervalMs: 50, readyTimeoutMs: 100 });
    const token = await issuer.sign({ sub: keyId() });
    expect(await outcome(v, token)).toBe('unavailable');
    await expect(v.ready()).rejects.toMatchObject({ code: 'unavailable' });
    issuer.state.feedStatus = 200;
    await v.ready();
    expect(await outcome(v, token)).toBe('ok');
  });
});
