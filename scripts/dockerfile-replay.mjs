// Replays the Dockerfile without a container engine: each stage's COPY and RUN steps in a directory of
// its own (the build context filtered by .dockerignore), with this machine's npm, then the runtime stage's
// CMD and HEALTHCHECK. It proves the build steps and the image's file layout work with the npm in use
// (npm 11 re-runs `prepare` on prune: the reason the Dockerfile does not prune); it cannot prove the base
// image, USER or VOLUME, which need an engine. Usage: node scripts/dockerfile-replay.mjs [workdir]
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { basename, dirname, join, relative, resolve } from 'node:path';

const CONTEXT = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** The Dockerfile as instructions, continuation lines joined, comments dropped. */
export function parseDockerfile(text) {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const steps = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (op) steps.push({ op: op.toUpperCase(), args: rest.trim() });
  }
  return steps;
}

const ignored = (patterns) => (path) => {
  const rel = relative(CONTEXT, path);
  return !patterns.some((p) => rel === p || rel.startsWith(`${p}/`));
};

function exec(command, cwd, env) {
  console.log(`RUN ${command}`);
  const r = spawnSync('sh', ['-c', command], { cwd, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`RUN ${command}: exit ${r.status}`);
}

/** Runs every build step; returns the runtime stage's directory, environment, command and health check. */
export function replayBuild(work = mkdtempSync(join(tmpdir(), 'dockerfile-replay-'))) {
  const steps = parseDockerfile(readFileSync(join(CONTEXT, 'Dockerfile'), 'utf8'));
  const dockerignore = readFileSync(join(CONTEXT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const stages = new Map();
  let stage;
  const env = { ...process.env, CI: 'true' };
  for (const { op, args } of steps) {
    if (op === 'ARG') continue;
    if (op === 'FROM') {
      const name = /\sAS\s+(\S+)/i.exec(args)?.[1] ?? `stage${stages.size}`;
      stage = { name, root: join(work, name), workdir: '/', env: {}, cmd: undefined, health: undefined };
      mkdirSync(stage.root, { recursive: true });
      stages.set(name, stage);
      continue;
    }
    const dir = join(stage.root, stage.workdir);
    if (op === 'WORKDIR') {
      stage.workdir = args;
      mkdirSync(join(stage.root, args), { recursive: true });
    } else if (op === 'COPY') {
      // Docker's rules: a directory's contents go into the destination; a file goes into it when the
      // destination is a directory (ends with / or there are several sources), else becomes it.
      const parts = args.split(/\s+/);
      const from = parts[0].startsWith('--from=') ? stages.get(parts.shift().slice(7)) : undefined;
      const rawDest = parts.pop();
      const dest = resolve(dir, rawDest);
      const intoDir = rawDest.endsWith('/') || parts.length > 1;
      for (const src of parts) {
        const source = from ? join(from.root, src) : join(CONTEXT, src);
        const target = statSync(source).isDirectory() || !intoDir ? dest : join(dest, basename(source));
        cpSync(source, target, { recursive: true, filter: from ? () => true : ignored(dockerignore) });
      }
    } else if (op === 'RUN') {
      // The runtime stage's RUN prepares system paths (a volume, its owner): an engine's job, skipped here.
      if (stage.name === 'build') exec(args, dir, { ...env, ...stage.env });
      else console.log(`skipped (needs an engine): RUN ${args}`);
    } else if (op === 'ENV') {
      for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) stage.env[k] = v;
    } else if (op === 'CMD') {
      stage.cmd = JSON.parse(args);
    } else if (op === 'HEALTHCHECK') {
      stage.health = JSON.parse(args.slice(args.indexOf('CMD') + 3).trim());
    }
  }
  const runtime = [...stages.values()].pop();
  return { work, dir: join(runtime.root, runtime.workdir), env: runtime.env, cmd: runtime.cmd, health: runtime.health };
}

/** Starts the image's CMD in embedded mode on `port`, runs its HEALTHCHECK until it passes, then stops it. */
export async function startAndCheck(image, port, dataDir, timeoutMs = 60_000) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...image.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    NODE_ENV: 'development',
  };
  const [bin, ...args] = image.cmd;
  const child = spawn(bin, args, { cwd: image.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const [hbin, ...hargs] = image.health;
      const r = spawnSync(hbin, hargs, { cwd: image.dir, env, timeout: 3_000 });
      if (r.status === 0) {
        // The console's files made it into the image too.
        const page = await fetch(`http://127.0.0.1:${port}/console/`, { headers: { accept: 'text/html' } });
        return { healthy: true, console: page.status === 200 && (await page.text()).includes('id="app"'), output };
      }
      if (child.exitCode !== null || Date.now() > deadline) return { healthy: false, output };
      await new Promise((done) => setTimeout(done, 500));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => (child.exitCode !== null ? done() : child.once('exit', done)));
  }
}

/** A port nobody listens on now. */
function freePort() {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const image = replayBuild(process.argv[2]);
  const data = mkdtempSync(join(tmpdir(), 'dockerfile-replay-data-'));
  const result = await startAndCheck(image, await freePort(), data);
  console.log(result.healthy ? 'HEALTHCHECK passed' : `HEALTHCHECK failed\n${result.output}`);
  console.log(result.console ? 'console served at /console/' : 'console NOT served');
  process.exit(result.healthy && result.console ? 0 : 1);
}
