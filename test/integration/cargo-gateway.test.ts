import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeCargoRegistry, HOUR } from '../helpers/cargo-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { get, raw } from '../helpers/http.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The versions an index file lists, in order. */
function versionsOf(indexFile: string): string[] {
  return indexFile
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { vers: string }).vers);
}

/** crates.io's error form: the detail Cargo shows. */
function detail(text: string): string {
  return (JSON.parse(text) as { errors: Array<{ detail: string }> }).errors[0]!.detail;
}

describe('cargo through the gateway', () => {
  const upstream = new FakeCargoRegistry('crates.io');
  /** A second upstream whose config.json names its files with a dl template. */
  const mirror = new FakeCargoRegistry('template');
  let proxy: RunningProxy;

  beforeAll(async () => {
    await upstream.start();
    await mirror.start();
    await upstream.publish({ name: 'serde-lite', versions: [{ version: '1.0.0', age: 40 * DAY }, { version: '1.1.0', age: 20 * DAY }, { version: '1.2.0', age: 2 * HOUR }] });
    await upstream.publish({ name: 'old-api', versions: [{ version: '0.1.0', age: 200 * DAY, dated: 'api' }, { version: '0.2.0', age: DAY, dated: 'api' }] });
    await upstream.publish({ name: 'lock-only', versions: [{ version: '3.0.0', age: 30 * DAY }, { version: '3.1.0', age: HOUR }] });
    await upstream.publish({ name: 'tampered', versions: [{ version: '1.0.0', age: 30 * DAY, corrupt: true }] });
    await upstream.publish({ name: 'Mixed_Case', versions: [{ version: '0.1.0', age: 10 * DAY }] });
    await upstream.publish({ name: 'broken', versions: [{ version: '0.1.0', age: 10 * DAY }] });
    await mirror.publish({ name: 'mirror-only', versions: [{ version: '1.0.0', age: 30 * DAY }] });
    proxy = await startProxy({ upstreams: { cargo: [upstream.url, mirror.url] }, cooldown: { ecosystems: { cargo: '3d' } } });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.stop();
    await mirror.stop();
  });
  afterEach(() => upstream.faults.clear());

  it('serves a config.json whose dl and api point at the proxy', async () => {
    const config = await get(`${proxy.url}cargo/config.json`);
    expect(config.status).toBe(200);
    expect(JSON.parse(config.text)).toEqual({ dl: `${proxy.url}cargo/api/v1/crates`, api: `${proxy.url}cargo` });
  });

  it('fetches an index file once, serving the visible lines as upstream wrote them', async () => {
    const before = upstream.count(/^\/se\/rd\/serde-lite$/);
    const cold = await get(`${proxy.url}cargo/se/rd/serde-lite`);
    const warm = await get(`${proxy.url}cargo/se/rd/serde-lite`);
    expect(cold.status).toBe(200);
    expect(warm.text).toBe(cold.text);
    expect(upstream.count(/^\/se\/rd\/serde-lite$/) - before).toBe(1);
    const upstreamLines = upstream.indexFile('serde-lite').split('\n');
    expect(cold.text).toBe(`${upstreamLines[0]}\n${upstreamLines[1]}\n`);
    expect((await get(`${proxy.url}cargo/se/rd/serde-lite`, { 'if-none-match': cold.headers.get('etag')! })).status).toBe(304);
  });

  it('hides versions inside the cooldown, and refuses their download with 403 naming version, publish time and rule', async () => {
    expect(versionsOf((await get(`${proxy.url}cargo/se/rd/serde-lite`)).text)).toEqual(['1.0.0', '1.1.0']);
    const refused = await get(`${proxy.url}cargo/api/v1/crates/serde-lite/1.2.0/download`);
    expect(refused.status).toBe(403);
    expect(detail(refused.text)).toMatch(
      /^refused by policy: serde-lite@1\.2\.0 was published at \d{4}-\d\d-\d\dT[\d:.]+Z, inside the 3d cooldown set by cooldown\.ecosystems\.cargo; it becomes available at /,
    );
    expect(upstream.count(/serde-lite\/1\.2\.0|serde-lite-1\.2\.0/)).toBe(0);
  });

  it('downloads a .crate once through the upstream redirect, verified against the cksum', async () => {
    const url = `${proxy.url}cargo/api/v1/crates/serde-lite/1.0.0/download`;
    const first = await get(url);
    const second = await get(url);
    const bytes = upstream.crateBytes('serde-lite', '1.0.0');
    expect(first.status).toBe(200);
    expect(first.body.equals(bytes)).toBe(true);
    expect(second.body.equals(bytes)).toBe(true);
    expect(first.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
    expect(first.headers.get('content-type')).toBe('application/gzip');
    expect(upstream.count(/^\/crates\/serde-lite\/1\.0\.0\/download$/)).toBe(1);
    expect(upstream.count(/^\/files\/se\/rd\/serde-lite\/serde-lite-1\.0\.0\.crate$/)).toBe(1);
  });

  it("dates lines without pubtime from the web API's created_at", async () => {
    expect(versionsOf((await get(`${proxy.url}cargo/ol/d-/old-api`)).text)).toEqual(['0.1.0']);
    expect(upstream.count(/^\/api\/v1\/crates\/old-api\/versions$/)).toBe(1);
    const rows = await proxy.ctx.db.selectFrom('versions').select(['version', 'publish_time_source']).where('ecosystem', '=', 'cargo').where('package', '=', 'old-api').orderBy('version').execute();
    expect(rows).toEqual([
      { version: '0.1.0', publish_time_source: 'upstream' },
      { version: '0.2.0', publish_time_source: 'upstream' },
    ]);
    const refused = await get(`${proxy.url}cargo/api/v1/crates/old-api/0.2.0/download`);
    expect(refused.status).toBe(403);
    expect(detail(refused.text)).toContain('old-api@0.2.0 was published at');
    expect((await get(`${proxy.url}cargo/api/v1/crates/old-api/0.1.0/download`)).status).toBe(200);
  });

  it('downloads from the dl template of the upstream that has the crate', async () => {
    const index = await get(`${proxy.url}cargo/mi/rr/mirror-only`);
    expect(versionsOf(index.text)).toEqual(['1.0.0']);
    const crate = await get(`${proxy.url}cargo/api/v1/crates/mirror-only/1.0.0/download`);
    expect(crate.status).toBe(200);
    expect(crate.body.equals(mirror.crateBytes('mirror-only', '1.0.0'))).toBe(true);
    expect(mirror.count(/^\/files\/mi\/rr\/mirror-only\/mirror-only-1\.0\.0\.crate$/)).toBe(1);
    expect(upstream.count(/mirror-only\/1\.0\.0|mirror-only-1\.0\.0/)).toBe(0);
  });

  it('keeps the published case of a name in download URLs, and one artifact whatever the case asked', async () => {
    expect(versionsOf((await get(`${proxy.url}cargo/mi/xe/mixed_case`)).text)).toEqual(['0.1.0']);
    const asPublished = await get(`${proxy.url}cargo/api/v1/crates/Mixed_Case/0.1.0/download`);
    const lower = await get(`${proxy.url}cargo/api/v1/crates/mixed_case/0.1.0/download`);
    expect(asPublished.status).toBe(200);
    expect(lower.body.equals(asPublished.body)).toBe(true);
    expect(upstream.count(/^\/crates\/Mixed_Case\/0\.1\.0\/download$/)).toBe(1);
  });

  it('serves a download asked for before its index file (a lockfile build), and still enforces the cooldown', async () => {
    const ok = await get(`${proxy.url}cargo/api/v1/crates/lock-only/3.0.0/download`);
    expect(ok.status).toBe(200);
    expect(ok.body.equals(upstream.crateBytes('lock-only', '3.0.0'))).toBe(true);
    expect(upstream.count(/^\/lo\/ck\/lock-only$/)).toBe(1);
    const refused = await get(`${proxy.url}cargo/api/v1/crates/lock-only/3.1.0/download`);
    expect(refused.status).toBe(403);
    expect(detail(refused.text)).toContain('lock-only@3.1.0 was published at');
    expect(upstream.count(/lock-only\/3\.1\.0|lock-only-3\.1\.0/)).toBe(0);
  });

  it('refuses bytes that do not match the cksum, and stores nothing', async () => {
    const first = await get(`${proxy.url}cargo/api/v1/crates/tampered/1.0.0/download`);
    expect(first.status).toBe(502);
    expect(detail(first.text)).toMatch(/integrity check failed for api\/v1\/crates\/tampered\/1\.0\.0\/download/);
    expect((await get(`${proxy.url}cargo/api/v1/crates/tampered/1.0.0/download`)).status).toBe(502);
    const row = await proxy.ctx.db.selectFrom('artifacts').selectAll().where('ecosystem', '=', 'cargo').where('path', '=', 'api/v1/crates/tampered/1.0.0/download').executeTakeFirst();
    expect(row?.blob_sha256).toBeNull();
    expect(upstream.count(/tampered-1\.0\.0\.crate$/)).toBeGreaterThanOrEqual(2);
  });

  it('answers 502 for an index file that is not one, and stores nothing', async () => {
    upstream.faults.set(/^\/br\/ok\/broken$/, 'not-an-index');
    const response = await get(`${proxy.url}cargo/br/ok/broken`);
    expect(response.status).toBe(502);
    expect(detail(response.text)).toMatch(/sent invalid metadata: line 1 of the index file of broken is not JSON/);
    upstream.faults.clear();
    expect(versionsOf((await get(`${proxy.url}cargo/br/ok/broken`)).text)).toEqual(['0.1.0']);
  });

  it('answers 404 for an unknown crate and remembers it briefly', async () => {
    const first = await get(`${proxy.url}cargo/no/-s/no-such-crate`);
    const second = await get(`${proxy.url}cargo/no/-s/no-such-crate`);
    expect(first.status).toBe(404);
    expect(second.status).toBe(404);
    expect(detail(first.text)).toContain('no-such-crate');
    expect(upstream.count(/^\/no\/-s\/no-such-crate$/)).toBe(1);
    expect(mirror.count(/^\/no\/-s\/no-such-crate$/)).toBe(1);
  });

  it('rejects bad input with a one-line reason', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['GET', 'cargo/se/rd/..%2f..%2fetc', 400, 'invalid crate name'],
      ['GET', 'cargo/%2e%2e/%2e%2e/passwd', 404, 'the index keeps passwd at /cargo/pa/ss/passwd'],
      ['GET', 'cargo/../../etc/passwd', 404, 'not a Cargo sparse index path'],
      ['GET', 'cargo/1/has%20space', 400, 'invalid crate name'],
      ['GET', 'cargo/se/rd/Serde-Lite', 404, 'Cargo index paths are lowercase: /cargo/se/rd/serde-lite'],
      ['GET', 'cargo/3/x/abc', 404, 'the index keeps abc at /cargo/3/a/abc'],
      ['GET', 'cargo/api/v1/crates/serde-lite/1.0/download', 400, 'invalid crate version'],
      ['GET', 'cargo/api/v1/crates/serde-lite/..%2f1.0.0/download', 400, 'invalid crate version'],
      ['GET', 'cargo/api/v1/crates?q=serde', 404, 'not the registry web API'],
      ['GET', 'cargo/%zz', 400, 'not a valid url'],
      ['PUT', 'cargo/api/v1/crates/new', 405, 'read-only Cargo registry'],
      ['DELETE', 'cargo/api/v1/crates/serde-lite/1.0.0/yank', 405, 'read-only Cargo registry'],
    ];
    for (const [method, path, status, reason] of cases) {
      const response = await raw(proxy.url, `/${path}`, method);
      expect(response.status, path).toBe(status);
      expect(detail(response.text), path).toContain(reason);
      expect(response.text.trim().split('\n'), path).toHaveLength(1);
    }
  });

  it("reads each upstream's config.json once per metadata_ttl, not once per index file", async () => {
    // One for the client's config.json, one for the download template behind every index file.
    expect(upstream.count(/^\/config\.json$/)).toBe(2);
    expect(mirror.count(/^\/config\.json$/)).toBe(1);
  });
});

describe('cargo versions nobody dates', () => {
  const upstream = new FakeCargoRegistry();
  let allowing: RunningProxy;
  let denying: RunningProxy;

  beforeAll(async () => {
    await upstream.start();
    upstream.apiAvailable = false;
    await upstream.publish({ name: 'undated', versions: [{ version: '1.0.0', age: 100 * DAY, dated: 'nowhere' }] });
    allowing = await startProxy({ upstreams: { cargo: upstream.url }, cooldown: { ecosystems: { cargo: '3d' } }, metadata_ttl: '1s' });
    denying = await startProxy({ upstreams: { cargo: upstream.url }, cooldown: { ecosystems: { cargo: '3d' }, unknown_publish_time: 'deny' } });
  });
  afterAll(async () => {
    await allowing.close();
    await denying.close();
    await upstream.stop();
  });
  afterEach(() => upstream.faults.clear());

  it('fails the index file with 502 while the upstream config.json is unavailable, and recovers', async () => {
    upstream.faults.set(/^\/config\.json$/, '500');
    const failed = await get(`${allowing.url}cargo/un/da/undated`);
    expect(failed.status).toBe(502);
    expect(detail(failed.text)).toContain(originOf(upstream.url));
    upstream.faults.clear();
    expect(versionsOf((await get(`${allowing.url}cargo/un/da/undated`)).text)).toEqual(['1.0.0']);
  });

  it('unknown_publish_time decides for versions there on the first fetch: allow serves them, deny hides and refuses them', async () => {
    expect((await get(`${allowing.url}cargo/api/v1/crates/undated/1.0.0/download`)).status).toBe(200);
    expect(versionsOf((await get(`${denying.url}cargo/un/da/undated`)).text)).toEqual([]);
    const refused = await get(`${denying.url}cargo/api/v1/crates/undated/1.0.0/download`);
    expect(refused.status).toBe(403);
    expect(detail(refused.text)).toBe('refused by policy: undated@1.0.0 has no known publish time, and cooldown.unknown_publish_time is deny');
  });

  it('a version that appears later is dated when the proxy first sees it', async () => {
    await upstream.publish({ name: 'undated', versions: [{ version: '1.0.0', age: 100 * DAY, dated: 'nowhere' }, { version: '1.1.0', age: 100 * DAY, dated: 'nowhere' }] });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // The stale copy is served while the refresh runs.
    await get(`${allowing.url}cargo/un/da/undated`);
    const row = await waitFor(() =>
      allowing.ctx.db.selectFrom('versions').selectAll().where('ecosystem', '=', 'cargo').where('package', '=', 'undated').where('version', '=', '1.1.0').executeTakeFirst(),
    );
    expect(row.publish_time_source).toBe('first_seen');
    expect(versionsOf((await get(`${allowing.url}cargo/un/da/undated`)).text)).toEqual(['1.0.0']);
    const refused = await get(`${allowing.url}cargo/api/v1/crates/undated/1.1.0/download`);
    expect(refused.status).toBe(403);
    expect(detail(refused.text)).toMatch(/undated@1\.1\.0 was first seen by this proxy at .+, inside the 3d cooldown/);
  });
});

function originOf(url: string): string {
  return new URL(url).origin;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
