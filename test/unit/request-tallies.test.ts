import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../shared/telemetry/metrics.js';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('request tallies', () => {
  it('appear in the counters when /metrics is read, and keep adding up across scrapes', async () => {
    const metrics = createMetrics();
    metrics.served.add('npm', 'artifact', 200, 'hit', 20_000);
    metrics.served.add('npm', 'artifact', 200, 'miss', 5_000);
    metrics.served.add('npm', 'artifact', 404, undefined, 0);
    metrics.served.add('pypi', 'metadata', 304, 'hit', 0);
    let text = await metrics.registry.metrics();
    expect(value(text, 'pkgproxy_requests_total{ecosystem="npm",kind="artifact",status="200"}')).toBe(2);
    expect(value(text, 'pkgproxy_requests_total{ecosystem="npm",kind="artifact",status="404"}')).toBe(1);
    expect(value(text, 'pkgproxy_requests_total{ecosystem="pypi",kind="metadata",status="304"}')).toBe(1);
    expect(value(text, 'pkgproxy_cache_hits_total{ecosystem="npm",kind="artifact"}')).toBe(1);
    expect(value(text, 'pkgproxy_cache_misses_total{ecosystem="npm",kind="artifact"}')).toBe(1);
    expect(value(text, 'pkgproxy_cache_hits_total{ecosystem="pypi",kind="metadata"}')).toBe(1);
    expect(value(text, 'pkgproxy_bytes_served_total{ecosystem="npm",kind="artifact"}')).toBe(25_000);
    expect(value(text, 'pkgproxy_bytes_served_total{ecosystem="pypi",kind="metadata"}')).toBeUndefined();

    // A second scrape with nothing new shows the same totals; new requests add to them.
    const ours = (t: string) => t.split('\n').filter((l) => /^pkgproxy_(requests|cache_hits|cache_misses|bytes_served)_total\{/.test(l));
    expect(ours(await metrics.registry.metrics())).toEqual(ours(text));
    metrics.served.add('npm', 'artifact', 200, 'hit', 20_000);
    text = await metrics.registry.metrics();
    expect(value(text, 'pkgproxy_requests_total{ecosystem="npm",kind="artifact",status="200"}')).toBe(3);
    expect(value(text, 'pkgproxy_cache_hits_total{ecosystem="npm",kind="artifact"}')).toBe(2);
    expect(value(text, 'pkgproxy_bytes_served_total{ecosystem="npm",kind="artifact"}')).toBe(45_000);
  });
});
