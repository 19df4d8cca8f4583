// What a test file opens, so that it is closed when the file ends: instances, servers, child
// processes, Redis prefixes. Light on purpose: tests that need no server import it without the app.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { deleteRedisPrefixes } from './redis.js';

export type Closer = () => Promise<void>;
type FileState = { open: Set<Closer>; prefixes: Set<string>; afterFile: Closer[] };

// What this test file opened and has not closed, and the Redis prefixes it used. A failed assertion
// can skip a test's own close; the test environment (environment.js) then closes the rest, or jest,
// running in band on 2 cores, would wait forever on their sockets. Then it runs `afterFile`.
const file: FileState = ((globalThis as { __scopeAuthFile?: FileState }).__scopeAuthFile ??= {
  open: new Set(),
  prefixes: new Set(),
  afterFile: [],
});
// Once every instance of the file is closed: its Redis keys go, so the shared index never grows.
file.afterFile.push(() => deleteRedisPrefixes(file.prefixes));

/** A Redis key prefix of its own (one deployment); its keys are deleted when the test file ends. */
export function newPrefix(): string {
  const prefix = `test:${randomUUID().slice(0, 8)}:`;
  file.prefixes.add(prefix);
  return prefix;
}

/** `close`, run at most once, and tracked until it has run. */
export function tracked(close: Closer): Closer {
  let closing: Promise<void> | undefined;
  const closeOnce: Closer = () => {
    file.open.delete(closeOnce);
    return (closing ??= close());
  };
  file.open.add(closeOnce);
  return closeOnce;
}

/** A child process the test started: killed when the file ends if it is still running then. */
export function trackChild<C extends ChildProcess>(child: C): C {
  const kill = tracked(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  child.once('exit', () => void kill());
  return child;
}

/** Runs `fn` when the test file ends, after every tracked instance has closed. */
export function onFileEnd(fn: Closer): void {
  file.afterFile.push(fn);
}
