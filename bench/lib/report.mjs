// Collects the figures of every scenario, prints them as one table and writes them as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { RESULTS_DIR } from './processes.mjs';

export function createReport() {
  const rows = [];
  const data = {};
  const notes = [];
  return {
    /** One line of the table. `result`: 'PASS', 'MISS', or '' for a figure with no target. */
    row(scenario, measure, value, target = '', result = '') {
      rows.push({ scenario, measure, value, target, result });
    },
    /** Raw figures of a scenario, kept in the JSON file. */
    data(scenario, value) {
      data[scenario] = value;
    },
    note(text) {
      notes.push(text);
    },
    rows: () => rows,

    print(out = process.stdout) {
      const head = { scenario: 'scenario', measure: 'measure', value: 'median (min–max)', target: 'target', result: 'result' };
      const cols = Object.keys(head);
      const width = Object.fromEntries(cols.map((c) => [c, Math.max(...[head, ...rows].map((r) => String(r[c]).length))]));
      const line = (r) => `| ${cols.map((c) => String(r[c]).padEnd(width[c])).join(' | ')} |`;
      out.write(`\n${line(head)}\n|${cols.map((c) => '-'.repeat(width[c] + 2)).join('|')}|\n`);
      for (const r of rows) out.write(`${line(r)}\n`);
      for (const n of notes) out.write(`\n${n}`);
      const misses = rows.filter((r) => r.result === 'MISS').length;
      const passes = rows.filter((r) => r.result === 'PASS').length;
      out.write(`\n\ntargets: ${passes} PASS, ${misses} MISS\n`);
    },

    write(settings, startedAt) {
      mkdirSync(RESULTS_DIR, { recursive: true });
      const file = `${RESULTS_DIR}/bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
      const machine = {
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model,
        memory_gb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      };
      writeFileSync(
        file,
        `${JSON.stringify({ started_at: startedAt, finished_at: new Date(), machine, settings, table: rows, notes, data }, null, 2)}\n`,
      );
      return file;
    },
  };
}
