import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KeyCache } from './domain/key-cache.js';
import { BucketHistogram } from './metrics/bucket-histogram.js';
import type { RevokedSet } from './domain/revocation/revoked-set.js';

// The service answers in milliseconds: buckets from 0.5 ms to 2.5 s.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export type MetricsSources = { keyCache: KeyCache; revocations: RevokedSet; busLive: () => boolean };

/**
 * The instance's Prometheus metrics (DESIGN.md "Observability"), in a registry of its own. Labels
 * carry outcomes, routes and statuses, never an org or key ID: per-key usage lives in the database.
 */
export function createMetrics(sources: MetricsSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  // What every exchange and request counts is tallied in plain maps, keyed by strings the caller
  // already holds, and handed to prom-client on scrape: its own inc() validates and hashes labels
  // each time (issue 20: metrics and usage on cost an exchange under 5% of its throughput).
  const exchangeTally = new Map<string, number>();
  new Counter({
    name: 'scope_auth_token_exchanges_total',
    help: 'Token exchanges by outcome: issued, or why they were refused',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset();
      for (const [outcome, n] of exchangeTally) this.inc({ outcome }, n);
    },
  });
  const exchangeDuration = new BucketHistogram(
    'scope_auth_token_exchange_duration_seconds',
    'Time to answer a token exchange, from parsed request to signed token or refusal',
    LATENCY_BUCKETS,
    registers,
  );
  // route → method → status → count
  const requestTally = new Map<string, Map<string, Map<number, number>>>();
  new Counter({
    name: 'scope_auth_http_requests_total',
    help: 'HTTP requests by route (as declared, not the raw URL), method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
    collect() {
      this.reset();
      for (const [route, methods] of requestTally)
        for (const [method, statuses] of methods)
          for (const [status, n] of statuses) this.inc({ route, method, status: String(status) }, n);
    },
  });
  const revocationsMade = new Counter({ name: 'scope_auth_revocations_total', help: 'Revocations made through this instance', registers });
  const propagation = new Histogram({
    name: 'scope_auth_revocation_propagation_seconds',
    help: "Time from a revocation's commit to this instance applying it",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  new Counter({
    name: 'scope_auth_key_cache_requests_total',
    help: 'Key look-ups on the token path: hit, miss, or bypass (memory not trusted, read from Postgres)',
    labelNames: ['result'] as const,
    registers,
    // Counted as plain integers by the cache itself; read here, on scrape.
    collect() {
      this.reset();
      for (const [result, n] of Object.entries(sources.keyCache.lookups)) this.inc({ result }, n);
    },
  });
  new Gauge({
    name: 'scope_auth_revocation_list_entries',
    help: 'Live entries in this instance’s revoked set',
    registers,
    aggregator: 'max',
    collect() {
      this.set(sources.revocations.size());
    },
  });
  new Gauge({
    name: 'scope_auth_pubsub_connected',
    help: '1 while the instance bus is live (caches trusted), 0 otherwise',
    registers,
    // Across a cluster's workers: 0 as soon as one of them is not live.
    aggregator: 'min',
    collect() {
      this.set(sources.busLive() ? 1 : 0);
    },
  });

  return {
    registry,
    exchanged(outcome: string, seconds: number): void {
      exchangeTally.set(outcome, (exchangeTally.get(outcome) ?? 0) + 1);
      exchangeDuration.observe(seconds);
    },
    request(route: string, method: string, status: number): void {
      let methods = requestTally.get(route);
      if (methods === undefined) requestTally.set(route, (methods = new Map<string, Map<number, number>>()));
      let statuses = methods.get(method);
      if (statuses === undefined) methods.set(method, (statuses = new Map<number, number>()));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    },
    revocationMade(): void {
      revocationsMade.inc();
    },
    revocationApplied(delaySeconds: number): void {
      propagation.observe(Math.max(0, delaySeconds));
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** METRICS_ENABLED=false: every observation a no-op, an empty registry (GET /metrics answers 404). */
export function noMetrics(): Metrics {
  const nothing = () => undefined;
  return { registry: new Registry(), exchanged: nothing, request: nothing, revocationMade: nothing, revocationApplied: nothing };
}

/** In a cluster worker: answer the primary's requests for this instance's metrics (see serveClusterMetrics). */
export function reportToClusterPrimary(metrics: Metrics): void {
  new AggregatorRegistry(); // installs the worker's side of prom-client's cluster messages
  AggregatorRegistry.setRegistries([metrics.registry]);
}

/** This process's own metrics, as a metrics server serves them. */
export function ownMetrics(metrics: Metrics): { contentType: string; render(): Promise<string> } {
  return { contentType: metrics.registry.contentType, render: () => metrics.registry.metrics() };
}

/** In a cluster primary: every worker's metrics, summed (one scrape, the whole picture). */
export function clusterMetrics(): { contentType: string; render(): Promise<string> } {
  const aggregator = new AggregatorRegistry();
  return { contentType: aggregator.contentType, render: () => aggregator.clusterMetrics() };
}
