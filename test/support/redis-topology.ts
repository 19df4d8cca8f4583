// Real Redis topologies on loopback ports, started from `redis-server` for the failover tests. Every
// process is tracked (killed when the test file ends, also on failure) and its temp dir removed.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { trackChild, tracked } from './file-resources.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';

export type RedisProcess = { port: number; process: ChildProcess; kill(signal?: NodeJS.Signals): Promise<void> };

/** A port free now, and (for a cluster node) its cluster-bus port, 10,000 above, as well. */
export async function freePort(withBus = false): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (!withBus) return port;
    if (port + 10_000 <= 65_535 && (await isFree(port + 10_000))) return port;
  }
}

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });

async function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One answer from the server at `port` (a short-lived connection). */
export async function ask(port: number, ...command: string[]): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 500,
    // A paused (SIGSTOP) server accepts the connection and never answers.
    commandTimeout: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [name, ...args] = command;
    return await client.call(name ?? 'PING', ...args);
  } finally {
    client.disconnect();
  }
}

function startProcess(dir: string, port: number, args: string[]): RedisProcess {
  const child = trackChild(spawn('redis-server', args, { cwd: dir, stdio: 'ignore' }));
  return {
    port,
    process: child,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/**
 * Starts a server on a free port, answering PING. Other processes on the machine take ports too
 * (outgoing connections included): one taken between the check and the bind makes the server exit,
 * and it is started again on another port. Its log (`--logfile`) is quoted if it never comes up.
 */
async function startOnFreePort(
  dir: string,
  what: string,
  withBus: boolean,
  args: (port: number, log: string) => string[],
): Promise<RedisProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(withBus);
    const log = join(dir, `${what}-${port}.log`);
    const p = startProcess(dir, port, args(port, log));
    // Generous: on a loaded machine a server can take seconds to answer its first PING.
    const deadline = Date.now() + 15_000;
    while (p.process.exitCode === null && p.process.signalCode === null) {
      if ((await ask(port, 'PING').catch(() => undefined)) === 'PONG') return p;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await p.kill();
    const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-5).join(' | ') : 'no log';
    if (attempt === 3) throw new Error(`${what} on ${port} did not come up: ${tail}`);
  }
}

function startServer(dir: string, extra: string[] = []): Promise<RedisProcess> {
  const confAt = extra.indexOf('--cluster-config-file');
  const clusterConf = confAt >= 0 ? join(dir, extra[confAt + 1] ?? '') : undefined;
  return startOnFreePort(dir, 'redis-server', clusterConf !== undefined, (port, log) => {
    // A failed attempt may have written its node's identity there, with the port it could not bind.
    if (clusterConf !== undefined) rmSync(clusterConf, { force: true });
    return ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', log, ...extra];
  });
}

/** A temp dir, and how to end everything started in it (the processes, then the dir). */
function workspace(name: string): { dir: string; stop(processes: RedisProcess[]): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), `scope-auth-${name}-`));
  const remove = tracked(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  return {
    dir,
    async stop(processes) {
      await Promise.all(processes.map((p) => p.kill()));
      await remove();
    },
  };
}

export type SentinelGroup = {
  name: string;
  master: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  masterPort(): Promise<number>;
  stop(): Promise<void>;
};

/** A master, its replica and three sentinels (quorum 2) that declare the master down after 1 s. */
export async function startSentinelGroup(name = 'scopeauth'): Promise<SentinelGroup> {
  const ws = workspace('sentinel');
  const dir = ws.dir;
  const master = await startServer(dir, ['--dbfilename', 'm.rdb']);
  const replica = await startServer(dir, ['--replicaof', HOST, String(master.port), '--dbfilename', 'r.rdb']);
  await until('replica in sync', 10_000, async () =>
    String(await ask(replica.port, 'INFO', 'replication')).includes('master_link_status:up'),
  );
  const sentinels: RedisProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await startOnFreePort(dir, 'sentinel', false, (port, log) => {
      const conf = join(dir, `sentinel-${i}-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `logfile ${log}`,
          `sentinel monitor ${name} ${HOST} ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      return [conf, '--sentinel'];
    });
    sentinels.push(s);
  }
  // Every sentinel knows the replica and the other sentinels before anything is failed.
  await until('sentinels to see each other', 15_000, async () => {
    for (const s of sentinels) {
      const info = String(await ask(s.port, 'INFO', 'sentinel'));
      if (!/slaves=1,sentinels=3/.test(info)) return false;
    }
    return true;
  });
  const masterPort = async () => {
    const reply = (await ask(sentinels[0]!.port, 'SENTINEL', 'get-master-addr-by-name', name)) as string[];
    return Number(reply[1]);
  };
  return { name, master, replica, sentinels, masterPort, stop: () => ws.stop([master, replica, ...sentinels]) };
}

export type RedisCluster = {
  nodes: RedisProcess[];
  masterOfSlot(slot: number): Promise<RedisProcess>;
  /** Every node not paused says the cluster is ok. */
  isHealthy(): Promise<boolean>;
  /** SIGSTOP / SIGCONT: a paused node is left out of the checks above, as if gone. */
  pause(node: RedisProcess): void;
  resume(node: RedisProcess): void;
  stop(): Promise<void>;
};

/** Three masters with a replica each (a master lost is replaced by its replica after 1 s). */
export async function startCluster(): Promise<RedisCluster> {
  const ws = workspace('cluster');
  const dir = ws.dir;
  const nodes: RedisProcess[] = [];
  for (let i = 0; i < 6; i++) {
    // Validity factor 0: a replica always takes over (else it may judge its data too old and leave the slots down).
    const args = [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${i}.conf`,
      '--cluster-node-timeout',
      '1000',
      '--cluster-replica-validity-factor',
      '0',
    ];
    nodes.push(await startServer(dir, [...args, '--dbfilename', `c${i}.rdb`]));
  }
  await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-replicas', '1', '--cluster-yes']);
  const paused = new Set<RedisProcess>();
  const alive = () => nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null && !paused.has(n));
  const isHealthy = async () => {
    for (const n of alive()) if (!String(await ask(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
    return true;
  };
  await until('cluster state ok on every node', 20_000, isHealthy);
  const masterOfSlot = async (slot: number) => {
    for (const n of alive()) {
      const slots = (await ask(n.port, 'CLUSTER', 'SLOTS').catch(() => undefined)) as Array<[number, number, [string, number]]> | undefined;
      const range = slots?.find(([from, to]) => slot >= from && slot <= to);
      const port = range?.[2][1];
      const node = nodes.find((x) => x.port === port);
      if (node) return node;
    }
    throw new Error(`no master for slot ${slot}`);
  };
  const pause = (n: RedisProcess) => {
    paused.add(n);
    n.process.kill('SIGSTOP');
  };
  const resume = (n: RedisProcess) => {
    n.process.kill('SIGCONT');
    paused.delete(n);
  };
  const stop = async () => {
    for (const n of paused) resume(n);
    await ws.stop(nodes);
  };
  return { nodes, masterOfSlot, isHealthy, pause, resume, stop };
}
