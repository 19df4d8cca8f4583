// First load of the keys page stays small (issue 21, point 3: at most 60 KB of gzipped JavaScript):
// the scripts index.html loads and, transitively, their static imports, as built into dist/console.
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CONSOLE_DIR } from '../../src/http/console/static.js';

const BUDGET = 60 * 1024;

/** /console/assets/x.js → the file under dist/console. */
const fileOf = (url: string) => join(CONSOLE_DIR, url.replace(/^\/console\//, ''));

/** Every script the page loads before it can run: entry modules, modulepreloads and their static imports. */
function firstLoadScripts(): string[] {
  const html = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8');
  const queue = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) => m[1] ?? '');
  const seen = new Set<string>();
  while (queue.length > 0) {
    const url = queue.pop() ?? '';
    if (seen.has(url)) continue;
    seen.add(url);
    const code = readFileSync(fileOf(url), 'utf8');
    // Static imports only (`import … from "./x.js"`, `import "./x.js"`); import() loads later, on demand.
    for (const m of code.matchAll(/\bimport\s*(?:[\w{},*\s$]+from\s*)?["']([^"']+\.js)["']/g))
      queue.push(posix.join(posix.dirname(url), m[1] ?? ''));
  }
  return [...seen];
}

describe('console bundle', () => {
  it('the keys page loads at most 60 KB of gzipped JavaScript at first', () => {
    const scripts = firstLoadScripts();
    expect(scripts.length).toBeGreaterThan(0);
    const sizes = scripts.map((url) => gzipSync(readFileSync(fileOf(url))).length);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(1_000); // the real bundle was measured, not an empty file
    expect(total).toBeLessThanOrEqual(BUDGET);
  });
});
