import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/schema.js';
import { getMetadata, putMetadata } from '../../shared/db/metadata.js';
import { cacheStats } from '../../shared/db/stats.js';
import { DAY, FakeNpmRegistry, HOUR } from '../helpers/fake-npm-registry.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { get, raw } from '../helpers/http.js';

const ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('npm through the gateway', () => {
  const upstream = new FakeNpmRegistry();
  let proxy: RunningProxy;

  beforeAll(async () => {
    await upstream.start();
    await upstream.publish({ name: 'left-pad', versions: [{ version: '1.0.0', age: 40 * DAY }, { version: '1.1.0', age: 20 * DAY }, { version: '1.2.0', age: 2 * HOUR }] });
    await upstream.publish({ name: '@acme/widget', versions: [{ version: '2.0.0', age: 30 * DAY }, { version: '2.1.0', age: 10 * DAY }] });
    await upstream.publish({ name: 'lock-only', versions: [{ version: '3.0.0', age: 30 * DAY }, { version: '3.1.0', age: HOUR }] });
    await upstream.publish({ name: 'tampered', versions: [{ version: '1.0.0', age: 30 * DAY, corrupt: true }] });
    await upstream.publish({ name: 'big-crowd', versions: [{ version: '1.0.0', age: 30 * DAY }] });
    await upstream.publish({ name: 'replaced', versions: [{ version: '1.0.0', age: 30 * DAY }] });
    proxy = await startProxy({ upstreams: { npm: upstream.url }, cooldown: { ecosystems: { npm: '3d' } } });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.stop();
  });
  afterEach(() => {
    upstream.faults.clear();
  });

  it('fetches a packument once, then serves it from the cache with tarballs pointing at the proxy', async () => {
    const before = upstream.count(/^\/left-pad$/);
    const cold = await get(`${proxy.url}npm/left-pad`);
    const warm = await get(`${proxy.url}npm/left-pad`);
    expect(cold.status).toBe(200);
    expect(warm.status).toBe(200);
    expect(upstream.count(/^\/left-pad$/) - before).toBe(1);
    const doc = warm.json();
    expect(doc.versions['1.0.0'].dist.tarball).toBe(`${proxy.url}npm/left-pad/-/left-pad-1.0.0.tgz`);
    expect(cold.headers.get('vary')).toMatch(/Accept/);
  });

  it('applies the cooldown to metadata: fresh versions hidden, latest moved back, modified matching', async () => {
    const full = (await get(`${proxy.url}npm/left-pad`)).json();
    expect(Object.keys(full.versions)).toEqual(['1.0.0', '1.1.0']);
    expect(full['dist-tags'].latest).toBe('1.1.0');
    expect(full.time['1.2.0']).toBeUndefined();
    expect(full.time.modified).toBe(full.time['1.1.0']);
    const abbreviated = await get(`${proxy.url}npm/left-pad`, { accept: ABBREVIATED });
    expect(abbreviated.headers.get('content-type')).toContain('application/vnd.npm.install-v1+json');
    const doc = abbreviated.json();
    expect(Object.keys(doc.versions)).toEqual(['1.0.0', '1.1.0']);
    expect(doc.modified).toBe(full.time['1.1.0']);
    expect(doc.readme).toBeUndefined();
    expect(abbreviated.headers.get('etag')).not.toBe((await get(`${proxy.url}npm/left-pad`)).headers.get('etag'));
  });

  it('refuses the tarball of a hidden version with 403, naming version, publish time and rule', async () => {
    const refused = await get(`${proxy.url}npm/left-pad/-/left-pad-1.2.0.tgz`);
    expect(refused.status).toBe(403);
    const { error } = refused.json();
    expect(error).toMatch(/left-pad@1\.2\.0 was published at \d{4}-\d\d-\d\dT[\d:.]+Z, inside the 3d cooldown set by cooldown\.ecosystems\.npm/);
    expect(upstream.count(/left-pad-1\.2\.0\.tgz/)).toBe(0);
    const stats = await cacheStats(proxy.ctx.db);
    expect(stats.find((s) => s.ecosystem === 'npm')!.refusals).toBeGreaterThanOrEqual(1);
  });

  it('serves tarballs with the exact upstream bytes, ETag, 304, HEAD and ranges', async () => {
    const bytes = upstream.tarballBytes('left-pad', '1.0.0');
    const url = `${proxy.url}npm/left-pad/-/left-pad-1.0.0.tgz`;
    const full = await get(url);
    expect(full.status).toBe(200);
    expect(sha256(full.body)).toBe(sha256(bytes));
    const etag = full.headers.get('etag')!;
    expect(etag).toBe(`"${sha256(bytes)}"`);
    expect((await get(url, { 'if-none-match': etag })).status).toBe(304);

    const head = await get(url, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect(head.body.length).toBe(0);

    const range = await get(url, { range: 'bytes=10-19' });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 10-19/${bytes.length}`);
    expect(range.body.equals(bytes.subarray(10, 20))).toBe(true);
    const suffix = await get(url, { range: 'bytes=-5' });
    expect(suffix.body.equals(bytes.subarray(bytes.length - 5))).toBe(true);
    expect((await get(url, { range: `bytes=${bytes.length + 10}-` })).status).toBe(416);
    expect(upstream.count(/left-pad-1\.0\.0\.tgz/)).toBe(1);
  });

  it('answers 304 to a packument revalidation with the same ETag', async () => {
    const first = await get(`${proxy.url}npm/left-pad`);
    const again = await get(`${proxy.url}npm/left-pad`, { 'if-none-match': first.headers.get('etag')! });
    expect(again.status).toBe(304);
  });

  it('renders a document another process replaced since this gateway read its row', async () => {
    await get(`${proxy.url}npm/replaced`); // the full form: row remembered, rendering kept
    const row = await getMetadata(proxy.ctx.db, 'npm', 'packument/replaced');
    const raw = (await get(`${upstream.url}replaced`)).json();
    raw.versions['1.1.0'] = { ...raw.versions['1.0.0'], version: '1.1.0' };
    raw.time['1.1.0'] = new Date(Date.now() - 5 * DAY).toISOString();
    const body = Buffer.from(JSON.stringify(raw));
    await putMetadata(proxy.ctx.db, { ...row!, blob_sha256: sha256(body), size: body.length }, body);
    const abbreviated = await get(`${proxy.url}npm/replaced`, { accept: ABBREVIATED }); // a form not rendered yet
    expect(abbreviated.status).toBe(200);
    expect(Object.keys(abbreviated.json().versions)).toEqual(['1.0.0', '1.1.0']);
  });

  it('accepts @scope/name and @scope%2fname as one package', async () => {
    const before = upstream.count(/acme/);
    const encoded = await get(`${proxy.url}npm/@acme%2fwidget`);
    const plain = await get(`${proxy.url}npm/@acme/widget`);
    expect(encoded.status).toBe(200);
    expect(plain.text).toBe(encoded.text);
    expect(upstream.count(/acme/) - before).toBe(1);
    const tarball = await get(encoded.json().versions['2.1.0'].dist.tarball);
    expect(tarball.status).toBe(200);
    expect(tarball.body.equals(upstream.tarballBytes('@acme/widget', '2.1.0'))).toBe(true);
  });

  it('downloads an artifact once for 50 concurrent cold requests', async () => {
    const url = `${proxy.url}npm/big-crowd/-/big-crowd-1.0.0.tgz`;
    upstream.delayMs = 100;
    const responses = await Promise.all(Array.from({ length: 50 }, () => get(url))).finally(() => (upstream.delayMs = 0));
    const expected = sha256(upstream.tarballBytes('big-crowd', '1.0.0'));
    expect(responses.every((r) => r.status === 200 && sha256(r.body) === expected)).toBe(true);
    expect(upstream.count(/big-crowd-1\.0\.0\.tgz/)).toBe(1);
    expect(upstream.count(/^\/big-crowd$/)).toBe(1);
  });

  it('serves a lockfile tarball before its packument in one round trip, and still enforces the cooldown', async () => {
    upstream.delayMs = 200;
    const started = Date.now();
    const ok = await get(`${proxy.url}npm/lock-only/-/lock-only-3.0.0.tgz`).finally(() => (upstream.delayMs = 0));
    const elapsed = Date.now() - started;
    expect(ok.status).toBe(200);
    // Packument and tarball were fetched side by side, not one after the other.
    expect(elapsed).toBeLessThan(390);
    expect(upstream.count(/^\/lock-only$/)).toBe(1);
    expect(upstream.count(/lock-only-3\.0\.0\.tgz/)).toBe(1);
    const refused = await get(`${proxy.url}npm/lock-only/-/lock-only-3.1.0.tgz`);
    expect(refused.status).toBe(403);
    expect(refused.json().error).toContain('lock-only@3.1.0');
  });

  it('refuses bytes that do not match the declared integrity, and stores nothing', async () => {
    const first = await get(`${proxy.url}npm/tampered/-/tampered-1.0.0.tgz`);
    expect(first.status).toBe(502);
    expect(first.json().error).toMatch(/integrity check failed for tampered\/-\/tampered-1\.0\.0\.tgz/);
    const second = await get(`${proxy.url}npm/tampered/-/tampered-1.0.0.tgz`);
    expect(second.status).toBe(502);
    const row = await proxy.ctx.db.selectFrom('artifacts').selectAll().where('path', '=', 'tampered/-/tampered-1.0.0.tgz').executeTakeFirst();
    expect(row?.blob_sha256).toBeNull();
    // One download per request: a mismatch is not retried against the same upstream.
    expect(upstream.count(/tampered-1\.0\.0\.tgz/)).toBe(2);
  });

  it('answers 404 for an unknown package and remembers it briefly', async () => {
    const first = await get(`${proxy.url}npm/no-such-package`);
    const second = await get(`${proxy.url}npm/no-such-package`);
    expect(first.status).toBe(404);
    expect(second.status).toBe(404);
    expect(first.json().error).toContain('no-such-package');
    expect(upstream.count(/^\/no-such-package$/)).toBe(1);
  });

  it('rejects bad input with a one-line reason and no stack trace', async () => {
    const cases: Array<[string, number, string]> = [
      ['npm/..%2f..%2fetc%2fpasswd', 400, 'invalid npm package name'],
      ['npm/%2e%2e/%2e%2e/etc/passwd', 400, 'invalid npm package name'],
      ['npm/../../etc/passwd', 400, 'invalid npm package name'],
      ['npm/-/../left-pad', 400, "would leave the upstream's npm API"],
      ['npm/Has%20Space', 400, 'invalid npm package name'],
      [`npm/${'a'.repeat(5000)}`, 400, 'longer than'],
      ['npm/left-pad/-/..%2f..%2fsecret.tgz', 400, 'invalid npm tarball'],
      ['npm/left-pad/a/b/c', 404, 'not an npm registry path'],
      ['npm/%zz', 400, 'not a valid url'],
      ['pypi-nope/simple/', 404, 'no such path'],
    ];
    for (const [path, status, reason] of cases) {
      const response = await raw(proxy.url, `/${path}`);
      expect(response.status, path).toBe(status);
      expect(response.text, path).toContain(reason);
      expect(response.text.trim().split('\n'), path).toHaveLength(1);
      expect(response.text, path).not.toMatch(/\n\s+at /);
    }
    const put = await fetch(`${proxy.url}npm/left-pad`, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(put.status).toBe(405);
    expect(((await put.json()) as { error: string }).error).toContain('read-only');
  });

  it('passes npm search and audit through to the upstream', async () => {
    const search = await get(`${proxy.url}npm/-/v1/search?text=left&size=5`);
    expect(search.status).toBe(200);
    expect(search.json().objects.map((o: { package: { name: string } }) => o.package.name)).toEqual(['left-pad']);
    const audit = gzipSync(JSON.stringify({ 'left-pad': ['1.0.0'] }));
    const response = await fetch(`${proxy.url}npm/-/npm/v1/security/advisories/bulk`, {
      method: 'POST',
      body: audit,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: audit.length, encoding: 'gzip' });
  });

  it('exposes health and metrics', async () => {
    expect((await get(`${proxy.url}health`)).json()).toEqual({ status: 'ok' });
    const metrics = (await get(`${proxy.url}metrics`)).text;
    for (const name of [
      'pkgproxy_requests_total{ecosystem="npm",kind="artifact",status="200"}',
      'pkgproxy_cache_hits_total{ecosystem="npm",kind="metadata"}',
      'pkgproxy_cache_misses_total{ecosystem="npm",kind="artifact"}',
      'pkgproxy_upstream_requests_total{ecosystem="npm",status="200"}',
      'pkgproxy_upstream_duration_seconds_bucket',
      'pkgproxy_bytes_served_total{ecosystem="npm",kind="artifact"}',
      'pkgproxy_policy_refusals_total{ecosystem="npm",rule="cooldown.ecosystems.npm"}',
      'pkgproxy_integrity_failures_total{ecosystem="npm"}',
    ]) {
      expect(metrics).toContain(name);
    }
  });
});

describe('npm upstream faults', () => {
  const upstream = new FakeNpmRegistry();
  const mirror = new FakeNpmRegistry();
  let proxy: RunningProxy;

  beforeAll(async () => {
    await upstream.start();
    await mirror.start();
    for (const name of ['flaky', 'slow', 'cut', 'cut-meta', 'broken-json', 'zipped', 'stale-ok', 'small-doc']) {
      await upstream.publish({ name, versions: [{ version: '1.0.0', age: 30 * DAY }] });
    }
    await upstream.publish({ name: 'large-doc', versions: [{ version: '1.0.0', age: 30 * DAY }], readme: 'A long readme. '.repeat(10_000) });
    await mirror.publish({ name: 'only-on-mirror', versions: [{ version: '1.0.0', age: 30 * DAY }] });
    proxy = await startProxy({ upstreams: { npm: [upstream.url, mirror.url] }, upstream_timeout: '1s', metadata_ttl: '1s' });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.stop();
    await mirror.stop();
  });
  afterEach(() => {
    upstream.faults.clear();
  });

  it('answers 502 naming the upstream when it fails', async () => {
    upstream.faults.set(/^\/flaky$/, '500');
    mirror.faults.set(/^\/flaky$/, '500');
    const response = await get(`${proxy.url}npm/flaky`);
    expect(response.status).toBe(502);
    expect(response.json().error).toBe(`upstream ${upstream.url.slice(0, -1)} answered 500`);
    mirror.faults.clear();
  });

  it('answers 504 when the upstream does not answer in time', async () => {
    upstream.faults.set(/^\/slow$/, 'hang');
    mirror.faults.set(/^\/slow$/, 'hang');
    const response = await get(`${proxy.url}npm/slow`);
    expect(response.status).toBe(504);
    expect(response.json().error).toContain(`upstream ${upstream.url.slice(0, -1)} did not answer within 1s`);
    mirror.faults.clear();
  });

  it('never stores a truncated tarball or packument', async () => {
    upstream.faults.set(/cut-1\.0\.0\.tgz$/, 'truncate');
    const tarball = await get(`${proxy.url}npm/cut/-/cut-1.0.0.tgz`);
    expect(tarball.status).toBe(502);
    upstream.faults.clear();
    const retry = await get(`${proxy.url}npm/cut/-/cut-1.0.0.tgz`);
    expect(retry.status).toBe(200);
    expect(retry.body.equals(upstream.tarballBytes('cut', '1.0.0'))).toBe(true);

    upstream.faults.set(/^\/cut-meta$/, 'truncate');
    mirror.faults.set(/^\/cut-meta$/, '500');
    const meta = await get(`${proxy.url}npm/cut-meta`);
    expect(meta.status).toBe(502);
    expect(await proxy.ctx.db.selectFrom('metadata').selectAll().where('package', '=', 'cut-meta').executeTakeFirst()).toBeUndefined();
    mirror.faults.clear();
  });

  it('refuses metadata that is not valid JSON and stores nothing', async () => {
    upstream.faults.set(/^\/broken-json$/, 'invalid-json');
    const response = await get(`${proxy.url}npm/broken-json`);
    expect(response.status).toBe(502);
    expect(response.json().error).toContain('invalid metadata');
    expect(await proxy.ctx.db.selectFrom('metadata').selectAll().where('package', '=', 'broken-json').executeTakeFirst()).toBeUndefined();
  });

  it('decodes gzip-encoded metadata before reading it', async () => {
    upstream.faults.set(/^\/zipped$/, 'gzip-metadata');
    const response = await get(`${proxy.url}npm/zipped`);
    expect(response.status).toBe(200);
    expect(response.json().name).toBe('zipped');
  });

  it('tries the next upstream when the first has no such package', async () => {
    const response = await get(`${proxy.url}npm/only-on-mirror`);
    expect(response.status).toBe(200);
    const tarball = await get(response.json().versions['1.0.0'].dist.tarball);
    expect(tarball.body.equals(mirror.tarballBytes('only-on-mirror', '1.0.0'))).toBe(true);
  });

  it('serves the last good copy when the upstream fails after the TTL, and counts it', async () => {
    const good = await get(`${proxy.url}npm/stale-ok`);
    expect(good.status).toBe(200);
    upstream.faults.set(/^\/stale-ok$/, '500');
    mirror.faults.set(/^\/stale-ok$/, '500');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stale = await get(`${proxy.url}npm/stale-ok`);
    expect(stale.status).toBe(200);
    expect(stale.text).toBe(good.text);
    const metrics = (await get(`${proxy.url}metrics`)).text;
    expect(metrics).toMatch(/pkgproxy_metadata_stale_served_total\{ecosystem="npm"\} [1-9]/);
    mirror.faults.clear();
  });

  it('keeps a small packument in its row and a large one in the blob store, and revalidates both with 304', async () => {
    for (const name of ['small-doc', 'large-doc']) {
      const first = await get(`${proxy.url}npm/${name}`);
      expect(first.status).toBe(200);
      const stored = () => proxy.ctx.db.selectFrom('metadata').selectAll().where('package', '=', name).executeTakeFirstOrThrow();
      const row = await stored();
      const inBlobStore = (await proxy.ctx.blobs.stat(row.blob_sha256!)) !== undefined;
      if (name === 'large-doc') expect([row.body, inBlobStore, Number(row.size) > 64 * 1024]).toEqual([null, true, true]);
      else expect([row.body?.length, inBlobStore]).toEqual([Number(row.size), false]);

      await new Promise((resolve) => setTimeout(resolve, 1100));
      await get(`${proxy.url}npm/${name}`); // stale answer; the refresh runs behind it
      for (let i = 0; i < 50 && Number((await stored()).fetched_at) === Number(row.fetched_at); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const refresh = upstream.requests.filter((r) => r.url === `/${name}`).at(-1)!;
      expect(refresh.ifNoneMatch, `${name} revalidated with its ETag`).toBeDefined();
      const again = await get(`${proxy.url}npm/${name}`);
      expect([again.status, Object.keys(again.json().versions)], name).toEqual([200, ['1.0.0']]);
    }
  });

  it('revalidates after the TTL and picks up a new version', async () => {
    await upstream.publish({ name: 'stale-ok', versions: [{ version: '1.0.0', age: 30 * DAY }, { version: '1.1.0', age: 10 * DAY }] });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await get(`${proxy.url}npm/stale-ok`); // stale answer; the refresh runs behind it
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fresh = await get(`${proxy.url}npm/stale-ok`);
    expect(Object.keys(fresh.json().versions)).toContain('1.1.0');
  });
});

describe('proxy URL in rewritten metadata', () => {
  it('uses base_url when set, and the request Host otherwise', async () => {
    const upstream = await new FakeNpmRegistry().start();
    await upstream.publish({ name: 'where', versions: [{ version: '1.0.0', age: 30 * DAY }] });
    const configured = await startProxy({ upstreams: { npm: upstream.url }, base_url: 'https://packages.example.com/proxy' });
    const derived = await startProxy({ upstreams: { npm: upstream.url } });
    try {
      const a = (await get(`${configured.url}npm/where`)).json();
      expect(a.versions['1.0.0'].dist.tarball).toBe('https://packages.example.com/proxy/npm/where/-/where-1.0.0.tgz');
      const b = JSON.parse((await raw(derived.url, '/npm/where', { headers: { host: 'cache.internal:9999' } })).text);
      expect(b.versions['1.0.0'].dist.tarball).toBe('http://cache.internal:9999/npm/where/-/where-1.0.0.tgz');
    } finally {
      await configured.close();
      await derived.close();
      await upstream.stop();
    }
  });
});

describe('database outage', () => {
  it('keeps answering metadata and artifacts the gateway has served, and counts it', async () => {
    const upstream = await new FakeNpmRegistry().start();
    await upstream.publish({ name: 'steady', versions: [{ version: '1.0.0', age: 30 * DAY }] });
    const proxy = await startProxy({ upstreams: { npm: upstream.url }, metadata_ttl: '1s', cooldown: { default: '1d' } });
    const working = proxy.ctx.db;
    try {
      const packument = await get(`${proxy.url}npm/steady`);
      const tarball = await get(`${proxy.url}npm/steady/-/steady-1.0.0.tgz`);
      expect(tarball.status).toBe(200);
      proxy.ctx.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: async () => Promise.reject(new Error('database unreachable')) }) });
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the packument is now stale
      const again = await get(`${proxy.url}npm/steady`);
      expect(again.status).toBe(200);
      expect(again.text).toBe(packument.text);
      const bytes = await get(`${proxy.url}npm/steady/-/steady-1.0.0.tgz`);
      expect(bytes.body.equals(tarball.body)).toBe(true);
      // Something never served needs the database: an error, not a wrong answer.
      expect((await get(`${proxy.url}npm/never-seen`)).status).toBe(500);
      // Served artifacts never ask the database; the stale packument needed the fallback.
      expect((await get(`${proxy.url}metrics`)).text).toMatch(/pkgproxy_database_fallbacks_total\{ecosystem="npm"\} [1-9]/);
    } finally {
      proxy.ctx.db = working;
      await proxy.close();
      await upstream.stop();
    }
  });
});

describe('a slow download in progress', () => {
  const MB = 1024 * 1024;
  const upstream = new FakeNpmRegistry();
  let proxy: RunningProxy;

  beforeAll(async () => {
    await upstream.start();
    await upstream.publish({ name: 'slow-big', versions: [{ version: '1.0.0', age: 30 * DAY, payloadBytes: 2 * MB }] });
    await upstream.publish({ name: 'slow-bad', versions: [{ version: '1.0.0', age: 30 * DAY, payloadBytes: 2 * MB, corrupt: true }] });
    proxy = await startProxy({ upstreams: { npm: upstream.url }, cooldown: { ecosystems: { npm: '3d' } } });
    upstream.tarballBytesPerSecond = MB; // about two seconds per download
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.stop();
  });

  it('is streamed to the waiting client before upstream has finished, and served whole with its ETag afterwards', async () => {
    const bytes = upstream.tarballBytes('slow-big', '1.0.0');
    const url = `${proxy.url}npm/slow-big/-/slow-big-1.0.0.tgz`;
    const sentBefore = upstream.tarballBytesSent;
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBeNull();
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.value!.length).toBeGreaterThan(0);
    expect(upstream.tarballBytesSent - sentBefore).toBeLessThan(bytes.length);
    const chunks = [Buffer.from(first.value!)];
    for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(Buffer.from(next.value));
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(bytes));

    const again = await get(url);
    expect(again.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
    expect(again.body.equals(bytes)).toBe(true);
    const part = await get(url, { range: `bytes=${MB - 10}-${MB + 500_000}` });
    expect(part.status).toBe(206);
    expect(part.body.equals(bytes.subarray(MB - 10, MB + 500_001))).toBe(true);
    expect(upstream.count(/slow-big-1\.0\.0\.tgz/)).toBe(1);
  });

  it('cuts the streamed response short when the bytes fail verification, and stores nothing', async () => {
    const response = await fetch(`${proxy.url}npm/slow-bad/-/slow-bad-1.0.0.tgz`);
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    const row = await proxy.ctx.db.selectFrom('artifacts').selectAll().where('path', '=', 'slow-bad/-/slow-bad-1.0.0.tgz').executeTakeFirst();
    expect(row?.blob_sha256).toBeNull();
  });
});
