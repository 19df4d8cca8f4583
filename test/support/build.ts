import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

// Only the compiler, writing over the old output: never the full build, whose clean step (the SDK's
// prebuild deletes sdk/dist) would pull the files from under a test reading them in another worker.
const TARGETS = {
  server: {
    sources: ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json'],
    output: 'dist/src/cli.js',
    build: ['exec', '--', 'tsc', '-p', 'tsconfig.build.json'],
  },
  sdk: {
    sources: ['sdk/src', 'sdk/tsconfig.json', 'sdk/tsconfig.build.json', 'sdk/package.json'],
    output: 'sdk/dist/index.js',
    build: ['exec', '--', 'tsc', '-p', 'sdk/tsconfig.build.json'],
  },
};

/** The latest modification time under `path` (a file, or a directory walked recursively); 0 if absent. */
function newestMtimeMs(path: string): number {
  try {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(0, ...readdirSync(path).map((name) => newestMtimeMs(join(path, name))));
  } catch {
    return 0;
  }
}

/**
 * Builds `target` unless its output is newer than every source it is built from, so a stale build
 * can never pass or fail a test. Under `npm test` the pretest build has just run: this only checks.
 */
export async function ensureBuilt(target: keyof typeof TARGETS): Promise<void> {
  const { sources, output, build } = TARGETS[target];
  const builtAt = newestMtimeMs(join(root, output));
  if (builtAt > 0 && sources.every((s) => newestMtimeMs(join(root, s)) < builtAt)) return;
  await run('npm', build, { cwd: root });
}
