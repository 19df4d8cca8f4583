// Small statistics: medians with their spread, percentiles, and how figures are printed.

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

/** `{ median, min, max, runs }` of a list of per-run values. */
export function spread(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), runs: v.length };
}

const round = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** "1,234 (1,100–1,300)" for a spread, with `digits` decimals. */
export function formatSpread(s, digits = 0, unit = '') {
  const f = (x) => (digits === 0 && Number.isFinite(x) ? Math.round(x).toLocaleString('en') : round(x, digits));
  if (!s || !Number.isFinite(s.median)) return 'n/a';
  if (s.runs <= 1 || s.min === s.max) return `${f(s.median)}${unit}`;
  return `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
}

/** PASS/MISS of a target; `undefined` when it could not be evaluated. */
export function verdict(ok) {
  return ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS';
}
