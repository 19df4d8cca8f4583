import type { Metric, Registry } from 'prom-client';

type Value = { metricName: string; labels: Record<string, string | number>; value: number };

/**
 * A label-less Prometheus histogram for the token path: an observation is a bucket search and two
 * additions. prom-client's Histogram validates and hashes its labels on every observe (about 1 µs,
 * most of what metrics cost an exchange); this keeps that work for the scrape. It registers like a
 * prom-client metric, so the exposition and the cluster aggregation (by sum) are prom-client's own.
 */
export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registers: Registry[],
  ) {
    this.counts = new Float64Array(bounds.length);
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    this.sum += value;
    this.count++;
    const { bounds, counts } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        counts[i]!++;
        return;
      }
    }
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    const values: Value[] = this.bounds.map((le, i) => ({ metricName: bucket, labels: { le }, value: (cumulative += this.counts[i]!) }));
    values.push(
      { metricName: bucket, labels: { le: '+Inf' }, value: this.count },
      { metricName: `${this.name}_sum`, labels: {}, value: this.sum },
      { metricName: `${this.name}_count`, labels: {}, value: this.count },
    );
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
