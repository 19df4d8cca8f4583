import { useEffect, useId, useState } from 'preact/hooks';
import { api, unwrap, type Answer } from '../api/client';
import { ErrorMessage } from '../ui/states';
import { TableHead } from '../ui/table-head';

type Usage = Answer<'getKeyUsage'>;
type Range = { days: 7 | 30; granularity: 'hour' | 'day' };

const W = 720;
const H = 160;
const STEP = { hour: 3_600_000, day: 86_400_000 };

/** Every bucket of the range, oldest first (the API leaves out empty ones). */
function buckets(usage: Usage, range: Range): Array<{ start: number; issued: number; refused: number }> {
  const step = STEP[range.granularity];
  const byStart = new Map(usage.data.map((d) => [new Date(d.start).getTime(), d]));
  const first = Math.floor(new Date(usage.from).getTime() / step) * step;
  const out = [];
  for (let t = first; t < new Date(usage.to).getTime(); t += step) {
    const d = byStart.get(t);
    const issued = d?.counts.issued ?? 0;
    out.push({ start: t, issued, refused: (d?.total ?? 0) - issued });
  }
  return out;
}

/** Exchanges of one key per hour or day, issued and refused stacked: inline SVG, with the numbers as a table too. */
export function UsageChart({ keyId }: { keyId: string }) {
  const [range, setRange] = useState<Range>({ days: 7, granularity: 'hour' });
  const [usage, setUsage] = useState<Usage>();
  const [error, setError] = useState<unknown>();
  const titleId = useId();

  useEffect(() => {
    const from = new Date(Date.now() - range.days * 86_400_000).toISOString();
    setError(undefined);
    unwrap(api.GET('/v1/keys/{id}/usage', { params: { path: { id: keyId }, query: { from, granularity: range.granularity } } }))
      .then(setUsage)
      .catch(setError);
  }, [keyId, range.days, range.granularity]);

  const series = usage ? buckets(usage, range) : [];
  const max = Math.max(1, ...series.map((b) => b.issued + b.refused));
  const issued = series.reduce((n, b) => n + b.issued, 0);
  const refused = series.reduce((n, b) => n + b.refused, 0);
  const barW = W / Math.max(1, series.length);
  const label = new Intl.DateTimeFormat(
    undefined,
    range.granularity === 'hour' ? { dateStyle: 'short', timeStyle: 'short' } : { dateStyle: 'medium' },
  );
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>Usage</h2>
      <div class="actions">
        <label class="check">
          Period{' '}
          <select value={range.days} onChange={(e) => setRange({ ...range, days: Number(e.currentTarget.value) as 7 | 30 })}>
            <option value="7">last 7 days</option>
            <option value="30">last 30 days</option>
          </select>
        </label>
        <label class="check">
          Per{' '}
          <select value={range.granularity} onChange={(e) => setRange({ ...range, granularity: e.currentTarget.value as 'hour' | 'day' })}>
            <option value="hour">hour</option>
            <option value="day">day</option>
          </select>
        </label>
      </div>
      <ErrorMessage error={error} />
      <p class="legend">
        <span class="swatch swatch-ok" aria-hidden="true" /> issued: {issued} <span class="swatch swatch-bad" aria-hidden="true" /> refused:{' '}
        {refused}
      </p>
      <svg
        class="chart"
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Exchanges in the last ${range.days} days: ${issued} issued, ${refused} refused`}
      >
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} class="axis" />
        {series.map((b, i) => {
          const hi = (b.issued / max) * (H - 4);
          const hr = (b.refused / max) * (H - 4);
          return (
            <g key={b.start}>
              <title>{`${label.format(b.start)}: ${b.issued} issued, ${b.refused} refused`}</title>
              {hi > 0 && <rect class="bar-ok" x={i * barW} y={H - hi} width={Math.max(1, barW - 1)} height={hi} />}
              {hr > 0 && <rect class="bar-bad" x={i * barW} y={H - hi - hr} width={Math.max(1, barW - 1)} height={hr} />}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>Usage as a table</summary>
        {usage && usage.data.length === 0 ? (
          <p>No exchanges in this period.</p>
        ) : (
          <table>
            <TableHead columns={['From', 'Outcomes', 'Total']} />
            <tbody>
              {usage?.data.map((d) => (
                <tr key={d.start}>
                  <td>{label.format(new Date(d.start))}</td>
                  <td>
                    {Object.entries(d.counts)
                      .map(([k, v]) => `${k}: ${v}`)
                      .join(', ')}
                  </td>
                  <td>{d.total}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </section>
  );
}
