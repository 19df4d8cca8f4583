// Reads a V8 .cpuprofile (node --cpu-prof) and tells where the time went: self time per function,
// and per package or source file, in % of the samples.
import { readFileSync } from 'node:fs';

function groupOf(url, fn) {
  if (url === '') return `(${fn})`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:'))
    return url
      .replace(/^node:internal\/(deps\/)?/, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/');
  return url.replace(/^file:\/\//, '').replace(/.*\/(dist\/src|sdk\/dist|bench)\//, '$1/');
}

export function summariseProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map();
  const byGroup = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const group = groupOf(url, functionName);
    const fn = `${functionName || '(anonymous)'} ${group}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
    byGroup.set(group, (byGroup.get(group) ?? 0) + dt);
    total += dt;
  });
  const idle = byGroup.get('((idle))') ?? 0;
  const rank = (m) =>
    [...m]
      .filter(([name]) => !name.startsWith('(idle)') && name !== '((idle))')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, t]) => ({ name, pct: (100 * t) / total, pctBusy: (100 * t) / (total - idle) }));
  return { seconds: total / 1e6, idlePct: (100 * idle) / total, functions: rank(byFunction), groups: rank(byGroup) };
}

export function printProfileSummary(file, top = 25, out = process.stdout) {
  const s = summariseProfile(file, top);
  out.write(`${file}: ${s.seconds.toFixed(1)} s sampled, ${s.idlePct.toFixed(1)}% idle; shares of busy time:\n`);
  out.write('  by package / file:\n');
  for (const g of s.groups) out.write(`    ${g.pctBusy.toFixed(1).padStart(5)}%  ${g.name}\n`);
  out.write('  by function (self time):\n');
  for (const f of s.functions) out.write(`    ${f.pctBusy.toFixed(1).padStart(5)}%  ${f.name}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) printProfileSummary(file);
}
