const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

const STEPS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

export function relativeTime(iso: string, now = Date.now()): string {
  let value = (new Date(iso).getTime() - now) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return exact.format(new Date(iso));
}

/** A time in the reader's zone: relative ("3 minutes ago") or a date, the exact time on hover. */
export function Time({ iso, mode = 'relative' }: { iso: string; mode?: 'relative' | 'date' | 'exact' }) {
  const date = new Date(iso);
  const text = mode === 'relative' ? relativeTime(iso) : mode === 'date' ? dateOnly.format(date) : exact.format(date);
  return (
    <time dateTime={iso} title={exact.format(date)}>
      {text}
    </time>
  );
}
