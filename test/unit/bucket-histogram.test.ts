import { AggregatorRegistry, Registry } from 'prom-client';
import { BucketHistogram } from '../../src/metrics/bucket-histogram.js';
import { parseExposition } from '../support/prometheus.js';

const NAME = 'test_duration_seconds';

function histogram() {
  const registry = new Registry();
  const h = new BucketHistogram(NAME, 'A test histogram', [0.001, 0.01, 0.1], [registry]);
  return { registry, h };
}

describe('BucketHistogram', () => {
  it('exposes cumulative buckets, +Inf, sum and count that a Prometheus parser reads as a histogram', async () => {
    const { registry, h } = histogram();
    for (const v of [0.0005, 0.001, 0.005, 0.05, 0.05, 2]) h.observe(v);
    h.observe(Number.NaN); // not a duration: ignored, as prom-client would refuse it
    const [family] = parseExposition(await registry.metrics());
    expect(family).toMatchObject({ name: NAME, help: 'A test histogram', type: 'HISTOGRAM' });
    const m = family!.metrics[0]!;
    // A value equal to a bound falls in that bound's bucket (le is "less than or equal").
    expect(m.buckets).toEqual({ '0.001': '2', '0.01': '3', '0.1': '5', '+Inf': '6' });
    expect(Number(m.count)).toBe(6);
    expect(Number(m.sum)).toBeCloseTo(2.1065, 10);
  });

  it('reports zeros before the first observation, and again after a reset', async () => {
    const { registry, h } = histogram();
    const zero = { buckets: { '0.001': '0', '0.01': '0', '0.1': '0', '+Inf': '0' }, count: '0', sum: '0' };
    expect(parseExposition(await registry.metrics())[0]!.metrics[0]).toEqual(zero);
    h.observe(0.02);
    registry.resetMetrics();
    expect(parseExposition(await registry.metrics())[0]!.metrics[0]).toEqual(zero);
  });

  it("is summed bucket by bucket across a cluster's workers, by prom-client's aggregation", async () => {
    const workers = [histogram(), histogram()];
    workers[0]!.h.observe(0.0005);
    workers[1]!.h.observe(0.05);
    workers[1]!.h.observe(5);
    const perWorker = await Promise.all(workers.map((w) => w.registry.getMetricsAsJSON()));
    const summed = AggregatorRegistry.aggregate(perWorker);
    const m = parseExposition(await summed.metrics())[0]!.metrics[0]!;
    expect(m.buckets).toEqual({ '0.001': '1', '0.01': '1', '0.1': '2', '+Inf': '3' });
    expect(Number(m.count)).toBe(3);
  });
});
