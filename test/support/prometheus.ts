// The parser has no types of its own: the shape it returns, as its README gives it.
// @ts-expect-error -- untyped CommonJS module
import parsePrometheus from 'parse-prometheus-text-format';

export type MetricFamily = {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
};

/** Parses a Prometheus text exposition (throws on malformed input). */
export function parseExposition(text: string): MetricFamily[] {
  return (parsePrometheus as (t: string) => MetricFamily[])(text);
}
