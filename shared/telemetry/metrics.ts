import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestTallies } from './request-tallies.js';

/**
 * Every metric pkgproxy exports. Labels stay low-cardinality: ecosystem, kind
 * (metadata | artifact | passthrough), status and outcome; never package names.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pkgproxy_process_' });
  const registers = [registry];
  // The per-request counters are fed by `served`, which they drain as /metrics is read.
  const collect = (): void => served.drain();
  const served: RequestTallies = new RequestTallies({
    requests: new Counter({
      name: 'pkgproxy_requests_total',
      help: 'Client requests answered, by ecosystem, kind and HTTP status',
      labelNames: ['ecosystem', 'kind', 'status'] as const,
      registers,
      collect,
    }),
    cacheHits: new Counter({
      name: 'pkgproxy_cache_hits_total',
      help: 'Requests answered from the cache without waiting on upstream',
      labelNames: ['ecosystem', 'kind'] as const,
      registers,
      collect,
    }),
    cacheMisses: new Counter({
      name: 'pkgproxy_cache_misses_total',
      help: 'Requests that had to wait on an upstream fetch',
      labelNames: ['ecosystem', 'kind'] as const,
      registers,
      collect,
    }),
    bytesServed: new Counter({
      name: 'pkgproxy_bytes_served_total',
      help: 'Body bytes sent to clients',
      labelNames: ['ecosystem', 'kind'] as const,
      registers,
      collect,
    }),
  });
  return {
    registry,
    served,
    staleServed: new Counter({
      name: 'pkgproxy_metadata_stale_served_total',
      help: 'Metadata answered past its TTL while a refresh runs or the upstream fails',
      labelNames: ['ecosystem'] as const,
      registers,
    }),
    upstreamRequests: new Counter({
      name: 'pkgproxy_upstream_requests_total',
      help: 'Requests sent upstream, by ecosystem and status (HTTP code, "error" or "timeout")',
      labelNames: ['ecosystem', 'status'] as const,
      registers,
    }),
    upstreamDuration: new Histogram({
      name: 'pkgproxy_upstream_duration_seconds',
      help: 'Time from sending an upstream request to its response headers',
      labelNames: ['ecosystem'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    integrityFailures: new Counter({
      name: 'pkgproxy_integrity_failures_total',
      help: 'Upstream artifacts discarded because their checksum did not match the metadata',
      labelNames: ['ecosystem'] as const,
      registers,
    }),
    policyRefusals: new Counter({
      name: 'pkgproxy_policy_refusals_total',
      help: 'Artifact downloads refused by policy, by the rule that refused them',
      labelNames: ['ecosystem', 'rule'] as const,
      registers,
    }),
    jobs: new Counter({
      name: 'pkgproxy_jobs_total',
      help: 'Queue jobs finished, by queue and outcome (completed, failed, retried)',
      labelNames: ['queue', 'outcome'] as const,
      registers,
    }),
    databaseFallbacks: new Counter({
      name: 'pkgproxy_database_fallbacks_total',
      help: 'Hits answered from what the gateway remembered because the database was unreachable',
      labelNames: ['ecosystem'] as const,
      registers,
    }),
    hotCacheBytes: new Gauge({
      name: 'pkgproxy_hot_cache_bytes',
      help: 'Bytes held in memory by the gateway: rendered metadata, and small artifact bodies',
      labelNames: ['kind'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
