// The two SDK verifiers of the revocation scenario (bench/scenarios/revocation.mjs), polled in a
// process of their own so that polling every millisecond does not slow the orchestrator, which sends
// the revoke and times it. Both verifiers share this one process: on a 2-core machine already running
// A, B, Postgres, Redis and the orchestrator, a second process waking every millisecond would take
// more CPU from the servers being measured. Sharing costs little: one verify call (well under 0.1 ms)
// can delay the other verifier's poll, or the handling of its revocation message, by far less than
// the 1 ms between polls.
//
// IPC, one request and one answer at a time:
//   { type: 'setup', issuer, audience, jwksUrl, authUrl, redisUrl, keyPrefix } → { type: 'ready' }
//   { type: 'arm', token } → { type: 'armed' } once both verifiers have accepted the token
//   { type: 'go', t0 } → { type: 'refused', redis, sse }: ms from t0 until each verifier answers
//     token_revoked, NaN after 5 s. Both instants are epoch ms (performance.timeOrigin +
//     performance.now()), so the difference holds across processes.
// A failure answers { error }. Disconnecting the IPC channel closes the verifiers and exits.
import { createVerifier } from '../sdk/dist/index.js';

const GIVE_UP_MS = 5_000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let verifiers = {};
let token;

async function refusedAfter(verifier, t0) {
  while (now() - t0 < GIVE_UP_MS) {
    try {
      await verifier.verify(token);
    } catch (err) {
      if (err.code === 'token_revoked') return now() - t0;
      throw err;
    }
    await sleep(1);
  }
  return NaN;
}

const handlers = {
  async setup({ issuer, audience, jwksUrl, authUrl, redisUrl, keyPrefix }) {
    verifiers = {
      redis: createVerifier({ issuer, audience, jwksUrl, revocation: { redisUrl, keyPrefix } }),
      sse: createVerifier({ issuer, audience, revocation: { authUrl } }),
    };
    await Promise.all(Object.values(verifiers).map((v) => v.ready()));
    return { type: 'ready' };
  },
  async arm(msg) {
    token = msg.token;
    for (const v of Object.values(verifiers)) await v.verify(token); // throws if the token is not accepted
    return { type: 'armed' };
  },
  async go({ t0 }) {
    const [redis, sse] = await Promise.all([refusedAfter(verifiers.redis, t0), refusedAfter(verifiers.sse, t0)]);
    return { type: 'refused', redis, sse };
  },
};

process.on('message', async (msg) => {
  try {
    process.send(await handlers[msg.type](msg));
  } catch (err) {
    process.send({ error: String(err?.stack ?? err) });
  }
});

process.once('disconnect', async () => {
  await Promise.all(Object.values(verifiers).map((v) => v.close()));
  process.exit(0);
});
