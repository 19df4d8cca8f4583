// Starting, watching and stopping the servers under test: the real service (`serve`, WORKERS
// processes) and the in-memory ceiling. Every child started here is stopped by its own pid.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { vacuumDataset } from './dataset.mjs';
import { settings } from './settings.mjs';
import { serviceEnv, ISSUER, BENCH_PEPPER } from './service-env.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = `${ROOT}dist/src/cli.js`;
const CEILING = `${ROOT}bench/ceiling-server.mjs`;
export const RESULTS_DIR = `${ROOT}bench/results`;
const LOG_DIR = `${RESULTS_DIR}/logs`;
const PROFILE_DIR = `${RESULTS_DIR}/profiles`;

const running = new Set();
const helpers = new Set();

/** A short-lived child (load generator, verifier worker) to kill if the orchestrator is interrupted. */
export function trackHelper(child) {
  helpers.add(child);
  child.once('exit', () => helpers.delete(child));
  return child;
}

/** Stops whatever is still running when the orchestrator exits or is interrupted. */
export function stopAllOnExit() {
  const killAll = () => {
    for (const s of running) s.child.kill('SIGKILL');
    for (const child of helpers) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitReady(url, path, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}${path}`);
      const body = await res.json();
      if (res.status === 200 && body.status === 'ok') return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url}${path} not ready after ${timeoutMs} ms`);
}

/** VmRSS of a process, in MB (undefined once it has gone). */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Resolves once `count` processes have logged `server.listening` on stdout (with WORKERS > 1 a
 * readiness probe alone cannot tell that every worker listens, and a worker that starts late gets
 * no connection from a load generator that opened all of its connections already). After that
 * stdout is drained: at LOG_LEVEL=info it carries a line per refused or failed request (at debug,
 * one per request), formatted as in production; only warnings and errors are kept, in the log file.
 */
function watchStdout(child, count, logFd) {
  let seen = 0;
  let tail = '';
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk) => {
      const text = tail + chunk.toString('utf8');
      const cut = text.lastIndexOf('\n');
      tail = text.slice(cut + 1);
      if (seen < count) {
        seen += text.slice(0, cut + 1).split('server.listening').length - 1;
        if (seen >= count) resolve();
      }
      // Warnings and errors, and lines that are not ours (node --trace-gc and the like).
      if (/"level":[456]0|^[^{\n]/m.test(text)) {
        for (const line of text.slice(0, cut + 1).split('\n')) if (/"level":[456]0|^[^{]/.test(line)) writeSync(logFd, `${line}\n`);
      }
    });
  });
}

/** Without log lines to count: every worker forked, then time for them to listen. */
async function waitForChildren(child, count) {
  if (count > 1) while (childPids(child.pid).length < count) await sleep(100);
  await sleep(2_000);
}

/**
 * A port the OS has just handed out (and taken back): never one in use, nor, unlike a fixed range,
 * one in the ephemeral range that outgoing connections may hold.
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function start({ name, args, env, readyPath, processes, countsListening = true, nodeFlags = [] }) {
  mkdirSync(LOG_DIR, { recursive: true });
  const execArgv = [...nodeFlags];
  if (settings.profile) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`);
  }
  const port = await freePort();
  const logFd = openSync(`${LOG_DIR}/${name}.log`, 'w');
  const child = spawn(process.execPath, [...execArgv, ...args], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', logFd] });
  const listening = watchStdout(child, processes, logFd);
  const url = `http://127.0.0.1:${port}`;
  const server = {
    name,
    url,
    port,
    child,
    pid: child.pid,
    /** RSS in MB of every process of this server (primary included). */
    rss() {
      return [child.pid, ...childPids(child.pid)].map((pid) => ({ pid, mb: rssMb(pid) }));
    },
    async stop() {
      if (child.exitCode !== null) return running.delete(server);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      running.delete(server);
    },
  };
  running.add(server);
  try {
    await Promise.race([
      countsListening ? listening : waitForChildren(child, processes),
      new Promise((_, reject) =>
        child.once('exit', (code) => reject(new Error(`${name} exited with ${code} while starting: see ${LOG_DIR}/${name}.log`))),
      ),
      sleep(30_000).then(() => Promise.reject(new Error(`${name}: not every process listening after 30 s`))),
    ]);
    await waitReady(url, readyPath, child);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** `node dist/src/cli.js serve` on `dataset`'s database, with `workers` processes. */
export async function startService(dataset, { workers = 1, name = `service-${dataset.keys}-w${workers}`, extraEnv = {}, cli = CLI } = {}) {
  await vacuumDataset(dataset);
  return start({
    name,
    // `cli`: another build's (the observability scenario's baseline).
    args: [cli, 'serve'],
    env: serviceEnv(dataset.keys, { WORKERS: String(workers), ...extraEnv }),
    // As deployed (`npm start`); cluster workers inherit them.
    nodeFlags: settings.nodeFlags,
    readyPath: '/readyz',
    processes: workers,
    // `server.listening` is an info line: below that level, fall back to counting processes.
    countsListening: ['info', 'debug', 'trace'].includes(settings.logLevel),
  });
}

/** The in-memory ceiling (bench/ceiling-server.mjs) holding `dataset`'s keys. */
export function startCeiling(dataset, { workers = 1, name = `ceiling-${dataset.keys}-w${workers}` } = {}) {
  return start({
    name,
    args: [CEILING],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      CEILING_WORKERS: String(workers),
      DATABASE_URL: dataset.databaseUrl,
      ORG_ID: dataset.orgId,
      ISSUER,
      SECRET_PEPPER: BENCH_PEPPER,
    },
    // The same process settings as the service, so the comparison is of the pipelines alone.
    nodeFlags: settings.nodeFlags,
    readyPath: '/healthz',
    processes: workers,
  });
}
