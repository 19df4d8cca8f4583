// Failover on real Sentinel and Cluster topologies: two service instances and two SDK verifiers on
// each, under load, while Redis loses its master. Revoked keys must never be accepted, every revoke
// that answered 200 must end up everywhere, and the failed exchanges are counted.
import request from 'supertest';
import { redisOf } from '../support/redis.js';
import { createVerifier, type RedisLocation, type Verifier } from '../../sdk/src/index.js';
import { createTestInstance, listen, newPrefix, waitFor, type TestInstance } from '../support/app.js';
import { TEST_ISSUER } from '../support/env.js';
import { auth, createAdmin, createKey, exchange } from '../support/fixtures.js';
import { ask, startCluster, startSentinelGroup, type RedisProcess } from '../support/redis-topology.js';

const SCENARIO_TIMEOUT_MS = 60_000;

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

type Figures = {
  exchanges: number;
  failedExchanges: number;
  revokes: number;
  /** Checks of a revoked key or token (after its revoke answered 200) that let it through. */
  revokedAccepted: { exchange: number; introspection: number; verifier: number };
  /**
   * A revoke answered while Redis fails reaches Postgres only: verifiers hear of it when an instance,
   * back on Redis, writes what the list lacks. The last acceptance, relative to that moment.
   */
  verifierAccepted?: { lastAfterInstancesBackMs: number; phases: string[] };
  /** From the kill to Redis answering as a whole again, and to both instances live on the bus. */
  failoverMs?: number;
  instancesBackMs?: number;
};

// How soon after both instances are back on Redis the verifiers have heard every revoke: at once when
// an instance's subscription dropped (it resynchronises), else at its next reconcile (every 5 s).
const VERIFIER_CATCH_UP_MS = 6_000;

// The verifiers' bound: with no confirmation from Redis for this long, they refuse every token.
const MAX_STALENESS_SECONDS = 1;

/**
 * Puts two instances and two verifiers on `env`/`location`, runs exchanges, introspections and
 * verifications continuously, revokes keys before, during and after `fail()`, and returns the figures
 * once every revoke is seen everywhere.
 */
async function underFailover(
  env: Record<string, string>,
  location: RedisLocation,
  fail: (entriesKey: string) => Promise<void>,
  recovered: () => Promise<boolean>,
): Promise<Figures> {
  const prefix = newPrefix();
  const instances: TestInstance[] = [await createTestInstance({ prefix, env }), await createTestInstance({ prefix, env })];
  const [a, b] = instances as [TestInstance, TestInstance];
  const srv = await listen(a.app);
  const verifiers: Verifier[] = [0, 1].map(() =>
    createVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_ISSUER,
      jwksUrl: `${srv.url}/.well-known/jwks.json`,
      revocation: { ...location, keyPrefix: prefix, maxStalenessSeconds: MAX_STALENESS_SECONDS },
    }),
  );
  const figures: Figures = {
    exchanges: 0,
    failedExchanges: 0,
    revokedAccepted: { exchange: 0, introspection: 0, verifier: 0 },
    revokes: 0,
  };
  let stop = false;
  const verifierLag: Array<{ phase: string; at: number }> = [];
  try {
    await Promise.all(verifiers.map((v) => v.ready()));
    const { org, token: adminToken } = await createAdmin(a.deps, a.app);
    const good = await Promise.all([0, 1, 2].map(() => createKey(a.deps, org)));
    const victims = await Promise.all(
      Array.from({ length: 9 }, async () => {
        const k = await createKey(a.deps, org);
        return { ...k, token: await exchange(a.app, { org_id: org.id, key_id: k.key.id, secret: k.secret }) };
      }),
    );
    const revoked: Array<(typeof victims)[number] & { phase: string; at: number }> = [];
    let phase = 'before';
    const caller = good[0]!;

    const exchanges = async (inst: TestInstance) => {
      for (let i = 0; !stop; i++) {
        const k = good[i % good.length]!;
        const res = await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: k.key.id, secret: k.secret });
        figures.exchanges++;
        if (res.status !== 200) figures.failedExchanges++;
      }
    };
    // Only revokes that have answered 200 are in `revoked`.
    const checks = async (inst: TestInstance, verifier: Verifier) => {
      while (!stop) {
        for (const v of [...revoked]) {
          const ex = await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: v.key.id, secret: v.secret });
          if (ex.status === 200) figures.revokedAccepted.exchange++;
          const intro = await request(inst.app)
            .post('/oauth/introspect')
            .set('Authorization', basic(caller.key.id, caller.secret))
            .type('form')
            .send({ token: v.token });
          if (intro.status === 200 && (intro.body as { active: boolean }).active) figures.revokedAccepted.introspection++;
          if (
            await verifier.verify(v.token).then(
              () => true,
              () => false,
            )
          ) {
            figures.revokedAccepted.verifier++;
            verifierLag.push({ phase: v.phase, at: Date.now() });
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const revoke = async (count: number) => {
      for (const v of victims.splice(0, count)) {
        const res = await request(b.app).post(`/v1/keys/${v.key.id}/revoke`).set(auth(adminToken));
        // A revoke that could not commit is no promise; one that did must hold everywhere.
        if (res.status === 200) revoked.push({ ...v, phase, at: Date.now() });
        figures.revokes++;
      }
    };
    const running = [exchanges(a), exchanges(b), checks(a, verifiers[0]!), checks(b, verifiers[1]!)];
    await revoke(3);
    await new Promise((r) => setTimeout(r, 300));
    const failedAt = Date.now();
    await fail(a.deps.redisKeys.revocationEntries);
    phase = 'during';
    await revoke(3);
    await waitFor(recovered, 30_000, 'Redis to answer again');
    const recoveredAt = Date.now();
    phase = 'after';
    await waitFor(() => instances.every((i) => i.deps.bus.isLive()), 15_000, 'both instances back on the bus');
    const instancesBackAt = Date.now();
    await revoke(3);
    // Seen everywhere once Redis answers: the shared list holds every entry, both instances and both
    // verifiers refuse every revoked key and token.
    await waitFor(
      async () => {
        for (const v of revoked)
          if (
            (await redisOf(a.deps)
              .hexists(a.deps.redisKeys.revocationEntries, `key:${v.key.id}`)
              .catch(() => 0)) !== 1
          )
            return false;
        return true;
      },
      15_000,
      'every revoke in the shared list',
    );
    for (const v of revoked) {
      for (const verifier of verifiers) await expect(verifier.verify(v.token)).rejects.toMatchObject({ code: expect.any(String) });
      for (const inst of instances) {
        await request(inst.app).post('/v1/token').send({ org_id: org.id, key_id: v.key.id, secret: v.secret }).expect(401);
        await request(inst.app)
          .post('/oauth/introspect')
          .set('Authorization', basic(caller.key.id, caller.secret))
          .type('form')
          .send({ token: v.token })
          .expect(200, { active: false });
      }
    }
    expect(revoked).toHaveLength(9);
    // The load keeps going a little after recovery, then stops.
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await Promise.all(running);
    figures.verifierAccepted = {
      lastAfterInstancesBackMs: Math.max(-Infinity, ...verifierLag.map((l) => l.at - instancesBackAt)),
      phases: [...new Set(verifierLag.map((l) => l.phase))],
    };
    figures.failoverMs = recoveredAt - failedAt;
    figures.instancesBackMs = instancesBackAt - failedAt;
    return figures;
  } finally {
    stop = true;
    await Promise.all(verifiers.map((v) => v.close()));
    await srv.close();
    for (const inst of instances) await inst.close();
  }
}

/**
 * Instances never accept a revoked key or token. Verifiers accept one only if it was revoked while
 * Redis was failing, or just before (replication is asynchronous: a revoke the old master took
 * but had not passed on is lost with it, until an instance writes the list again from Postgres),
 * and no longer than a moment after the instances are back on Redis.
 */
function expectNoHarm(f: Figures): void {
  expect(f.exchanges).toBeGreaterThan(100);
  expect({ exchange: f.revokedAccepted.exchange, introspection: f.revokedAccepted.introspection }).toEqual({
    exchange: 0,
    introspection: 0,
  });
  if (f.revokedAccepted.verifier > 0) {
    expect(f.verifierAccepted?.phases.filter((p) => p !== 'before' && p !== 'during')).toEqual([]);
    expect(f.verifierAccepted?.lastAfterInstancesBackMs).toBeLessThan(VERIFIER_CATCH_UP_MS);
  }
}

type SentinelGroup = Awaited<ReturnType<typeof startSentinelGroup>>;

/** A Sentinel group under load while `fail` takes its master out, until Sentinel has promoted the replica. */
async function sentinelFailover(
  label: string,
  fail: (group: SentinelGroup) => void | Promise<void>,
  cleanUp?: (group: SentinelGroup) => void,
) {
  const group = await startSentinelGroup();
  try {
    const sentinels = group.sentinels.map((s) => `127.0.0.1:${s.port}`);
    const env = { REDIS_URL: '', REDIS_SENTINELS: sentinels.join(','), REDIS_SENTINEL_NAME: group.name };
    const figures = await underFailover(
      env,
      { redisSentinels: sentinels, redisSentinelName: group.name },
      async () => fail(group),
      async () => (await group.masterPort()) === group.replica.port && String(await ask(group.replica.port, 'ROLE')).startsWith('master'),
    );
    process.stdout.write(`sentinel failover (${label}): ${JSON.stringify(figures)}\n`);
    expectNoHarm(figures);
  } finally {
    cleanUp?.(group);
    await group.stop();
  }
}

describe('Redis Sentinel', () => {
  it(
    'survives the master being killed: no revoked key accepted, every revoke everywhere, failed exchanges counted',
    () => sentinelFailover('master killed', (group) => group.master.kill('SIGKILL')),
    SCENARIO_TIMEOUT_MS,
  );
});

describe('Redis Sentinel, master paused', () => {
  it(
    'survives the master hanging (SIGSTOP) until Sentinel promotes the replica',
    () =>
      sentinelFailover(
        'master paused',
        // A hung server closes no connection: only timeouts and the bus heartbeat notice it.
        (group) => void group.master.process.kill('SIGSTOP'),
        (group) => void group.master.process.kill('SIGCONT'),
      ),
    SCENARIO_TIMEOUT_MS,
  );
});

describe('Redis Cluster', () => {
  it(
    'survives the master holding the deployment slot being killed: no revoked key accepted, every revoke everywhere',
    async () => {
      const cluster = await startCluster();
      try {
        const nodes = cluster.nodes.map((n) => `127.0.0.1:${n.port}`);
        const env = { REDIS_URL: '', REDIS_CLUSTER_NODES: nodes.join(',') };
        let victim: number | undefined;
        const figures = await underFailover(
          env,
          { redisClusterNodes: nodes },
          async (entriesKey) => {
            // The master of the slot every key of this deployment hashes to (the {prefix} tag).
            const master = await cluster.masterOfSlot(Number(await ask(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', entriesKey)));
            victim = master.port;
            await master.kill('SIGKILL');
          },
          async () => cluster.isHealthy(),
        );
        process.stdout.write(`cluster failover (slot master ${String(victim)} killed): ${JSON.stringify(figures)}\n`);
        expectNoHarm(figures);
      } finally {
        await cluster.stop();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );
});

describe('Redis Cluster, master paused', () => {
  it(
    'survives the master holding the deployment slot hanging (SIGSTOP) until its replica takes over, and its return (SIGCONT)',
    async () => {
      const cluster = await startCluster();
      try {
        const nodes = cluster.nodes.map((n) => `127.0.0.1:${n.port}`);
        const env = { REDIS_URL: '', REDIS_CLUSTER_NODES: nodes.join(',') };
        let victim: RedisProcess | undefined;
        let slot = 0;
        let resumed = false;
        const figures = await underFailover(
          env,
          { redisClusterNodes: nodes },
          async (entriesKey) => {
            // A hung master closes no connection: only timeouts, the heartbeat and the lease notice it.
            slot = Number(await ask(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', entriesKey));
            victim = await cluster.masterOfSlot(slot);
            cluster.pause(victim);
          },
          // Recovered once the replica holds the slot and the old master, resumed, has rejoined.
          async () => {
            if (!victim) return false;
            if (!resumed) {
              const master = await cluster.masterOfSlot(slot).catch(() => undefined);
              if (master === undefined || master === victim || !(await cluster.isHealthy())) return false;
              cluster.resume(victim);
              resumed = true;
            }
            return cluster.isHealthy();
          },
        );
        process.stdout.write(`cluster failover (slot master ${String(victim?.port)} paused): ${JSON.stringify(figures)}\n`);
        expectNoHarm(figures);
      } finally {
        await cluster.stop();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );
});
