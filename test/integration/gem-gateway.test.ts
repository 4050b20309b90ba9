import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeGemRegistry, HOUR } from '../helpers/gem-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { get, raw } from '../helpers/http.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const REFUSAL = /^refused by policy: (\S+) was published at \d{4}-\d\d-\d\dT[\d:.]+Z, inside the 3d cooldown set by cooldown\.ecosystems\.gem; it becomes available at \S+\n$/;

async function artifactRow(proxy: RunningProxy, path: string) {
  return proxy.ctx.db.selectFrom('artifacts').selectAll().where('ecosystem', '=', 'gem').where('path', '=', path).executeTakeFirst();
}

describe('RubyGems through the gateway', () => {
  const upstream = new FakeGemRegistry();
  // A compact index mirror without the JSON API, whose /info lines carry created_at.
  const mirror = new FakeGemRegistry({ api: false, createdAtInInfo: true });
  let proxy: RunningProxy;
  let gem: string;

  beforeAll(async () => {
    await Promise.all([upstream.start(), mirror.start()]);
    await Promise.all([
      upstream.publish(
        { name: 'acme-core', versions: [{ version: '1.0.0', age: 300 * DAY }, { version: '1.1.0', age: 100 * DAY }, { version: '1.2.0', age: 2 * HOUR }] },
        { name: 'acme-http', versions: [{ version: '2.0.0', age: 200 * DAY, dependencies: { 'acme-core': ['~> 1.0'] } }] },
        { name: 'lock-first', versions: [{ version: '1.0.0', age: 30 * DAY }, { version: '1.1.0', age: HOUR }] },
        { name: 'tampered', versions: [{ version: '1.0.0', age: 30 * DAY, corrupt: true }] },
        { name: 'flaky', versions: [{ version: '1.0.0', age: 30 * DAY }] },
      ),
      mirror.publish({ name: 'mirror-only', versions: [{ version: '0.9.0', age: 40 * DAY }, { version: '1.0.0', age: 5 * HOUR }] }),
    ]);
    proxy = await startProxy({ upstreams: { gem: [upstream.url, mirror.url] }, cooldown: { ecosystems: { gem: '3d' } } });
    gem = `${proxy.url}gem/`;
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([upstream.stop(), mirror.stop()]);
  });
  afterEach(() => {
    upstream.faults.clear();
  });

  it('answers the mount, which gem probes with HEAD before it uses the compact index', async () => {
    const head = await get(gem, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect((await get(gem)).text).toMatch(/^RubyGems registry/);
  });

  it('serves /versions and /names as the upstream wrote them, with the MD5 ETag Bundler checks, fetched once', async () => {
    const versions = await get(`${gem}versions`);
    expect(versions.status).toBe(200);
    expect(versions.text).toBe(upstream.versionsFile().replace(/^created_at: .*\n/, versions.text.split('\n')[0]! + '\n'));
    // Hidden versions stay listed: Bundler resolves from /info, and reads only MD5s here.
    expect(versions.text).toMatch(/^acme-core 1\.0\.0,1\.1\.0,1\.2\.0 [0-9a-f]{32}$/m);
    expect(versions.headers.get('etag')).toBe(`"${md5(versions.body)}"`);
    expect(versions.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect((await get(`${gem}versions`, { 'if-none-match': `"${md5(versions.body)}"` })).status).toBe(304);
    expect(upstream.count(/^\/versions$/)).toBe(1);

    const names = await get(`${gem}names`);
    expect(names.text).toBe('---\nacme-core\nacme-http\nflaky\nlock-first\ntampered\n');
    expect(names.headers.get('etag')).toBe(`"${md5(names.body)}"`);
  });

  it('removes hidden versions from /info, dated by the JSON API, and fetches it once', async () => {
    const cold = await get(`${gem}info/acme-core`);
    const warm = await get(`${gem}info/acme-core`);
    expect(cold.status).toBe(200);
    expect(warm.text).toBe(cold.text);
    expect(upstream.count(/^\/info\/acme-core$/)).toBe(1);
    expect(upstream.count(/^\/api\/v1\/versions\/acme-core\.json$/)).toBe(1);

    const upstreamInfo = upstream.info('acme-core');
    const fresh = upstreamInfo.split('\n').find((line) => line.startsWith('1.2.0 '))!;
    expect(cold.text).toBe(upstreamInfo.replace(`${fresh}\n`, ''));
    expect(cold.text).toMatch(/^---\n1\.0\.0 \|checksum:[0-9a-f]{64}\n1\.1\.0 \|checksum:[0-9a-f]{64}\n$/);
    expect(cold.headers.get('etag')).toBe(`"${md5(cold.body)}"`);
    expect((await get(`${gem}info/acme-core`, { 'if-none-match': `"${md5(cold.body)}"` })).status).toBe(304);
  });

  it('serves /info unchanged when nothing is hidden, so it matches the MD5 in /versions', async () => {
    const info = await get(`${gem}info/acme-http`);
    expect(info.text).toBe(upstream.info('acme-http'));
    expect(info.text).toContain('2.0.0 acme-core:~> 1.0|checksum:');
    const versions = (await get(`${gem}versions`)).text;
    expect(versions).toContain(`acme-http 2.0.0 ${md5(info.body)}\n`);
  });

  it('refuses the gem and quick spec of a hidden version with 403, naming version, publish time and rule', async () => {
    for (const path of ['gems/acme-core-1.2.0.gem', 'quick/Marshal.4.8/acme-core-1.2.0.gemspec.rz']) {
      const refused = await get(`${gem}${path}`);
      expect(refused.status, path).toBe(403);
      expect(refused.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(refused.text, path).toMatch(REFUSAL);
      expect(refused.text).toContain('acme-core@1.2.0 was published');
    }
    expect(upstream.count(/acme-core-1\.2\.0/)).toBe(0);
  });

  it('serves gems verified against the sha256 in /info, and quick specs, downloading each once', async () => {
    const url = `${gem}gems/acme-core-1.1.0.gem`;
    const cold = await get(url);
    const warm = await get(url);
    expect(cold.status).toBe(200);
    expect(sha256(cold.body)).toBe(upstream.sha256('acme-core', '1.1.0'));
    expect(warm.body.equals(cold.body)).toBe(true);
    expect(cold.headers.get('content-type')).toBe('application/octet-stream');
    expect(cold.headers.get('etag')).toBe(`"${upstream.sha256('acme-core', '1.1.0')}"`);
    // Followed rubygems.org's redirect to the CDN once, and never again.
    expect(upstream.count(/^\/gems\/acme-core-1\.1\.0\.gem$/)).toBe(1);
    expect(upstream.count(/^\/cdn\/gems\/acme-core-1\.1\.0\.gem$/)).toBe(1);
    const row = await artifactRow(proxy, 'gems/acme-core-1.1.0.gem');
    expect(JSON.parse(row!.checksums)).toEqual([{ algorithm: 'sha256', hex: upstream.sha256('acme-core', '1.1.0') }]);

    const spec = `${gem}quick/Marshal.4.8/acme-core-1.1.0.gemspec.rz`;
    expect((await get(spec)).body.equals(upstream.indexFile('quick/Marshal.4.8/acme-core-1.1.0.gemspec.rz'))).toBe(true);
    expect((await get(spec)).status).toBe(200);
    expect(upstream.count(/^\/quick\/Marshal\.4\.8\/acme-core-1\.1\.0\.gemspec\.rz$/)).toBe(1);
  });

  it('serves a gem asked for before its /info, fetching both side by side, and still enforces the cooldown', async () => {
    const ok = await get(`${gem}gems/lock-first-1.0.0.gem`);
    expect(ok.status).toBe(200);
    expect(ok.body.equals(upstream.gemBytes('lock-first', '1.0.0'))).toBe(true);
    expect(upstream.count(/^\/info\/lock-first$/)).toBe(1);
    const refused = await get(`${gem}gems/lock-first-1.1.0.gem`);
    expect(refused.status).toBe(403);
    expect(refused.text).toMatch(REFUSAL);
    expect(upstream.count(/lock-first-1\.1\.0/)).toBe(0);
  });

  it('answers 404 for a version /info does not list, and for an unknown gem', async () => {
    expect((await get(`${gem}gems/acme-core-9.9.9.gem`)).status).toBe(404);
    const unknown = await get(`${gem}info/no-such-gem`);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('no-such-gem');
  });

  it('refuses bytes that do not match the sha256 in /info with 502, and stores nothing', async () => {
    const first = await get(`${gem}gems/tampered-1.0.0.gem`);
    expect(first.status).toBe(502);
    expect(first.text).toMatch(/^integrity check failed for gems\/tampered-1\.0\.0\.gem from \S+: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}\n$/);
    expect((await get(`${gem}gems/tampered-1.0.0.gem`)).status).toBe(502);
    expect((await artifactRow(proxy, 'gems/tampered-1.0.0.gem'))?.blob_sha256).toBeNull();
    // Asked again: a failed download leaves nothing to serve from.
    expect(upstream.count(/^\/cdn\/gems\/tampered-1\.0\.0\.gem$/)).toBeGreaterThanOrEqual(2);
  });

  it('refuses an /info that is not a compact index file, and stores nothing', async () => {
    upstream.faults.set(/^\/info\/flaky$/, 'html');
    const response = await get(`${gem}info/flaky`);
    expect(response.status).toBe(502);
    expect(response.text).toContain('sent invalid metadata: line 1 of info/flaky is not a compact index line');
    expect(await proxy.ctx.db.selectFrom('metadata').selectAll().where('doc_key', '=', 'info/flaky').executeTakeFirst()).toBeUndefined();
  });

  it('serves the Marshal index as gem generate_index wrote it', async () => {
    for (const file of ['specs.4.8.gz', 'latest_specs.4.8.gz', 'prerelease_specs.4.8.gz']) {
      const response = await get(`${gem}${file}`, { 'accept-encoding': 'identity' });
      expect(response.status, file).toBe(200);
      expect(response.body.equals(upstream.indexFile(file)), file).toBe(true);
    }
  });

  it('takes a gem from the next upstream when the first has none, dated by created_at on its /info lines', async () => {
    const info = await get(`${gem}info/mirror-only`);
    expect(info.status).toBe(200);
    expect(info.text).toMatch(/^---\n0\.9\.0 \|checksum:[0-9a-f]{64},created_at:\S+\n$/);
    const ok = await get(`${gem}gems/mirror-only-0.9.0.gem`);
    expect(ok.body.equals(mirror.gemBytes('mirror-only', '0.9.0'))).toBe(true);
    expect(mirror.count(/^\/cdn\/gems\/mirror-only-0\.9\.0\.gem$/)).toBe(1);
    expect(upstream.count(/mirror-only-0\.9\.0\.gem/)).toBe(0);
    const refused = await get(`${gem}gems/mirror-only-1.0.0.gem`);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('mirror-only@1.0.0 was published');
  });

  it('rejects bad input with a one-line reason', async () => {
    const cases: Array<[string, number, string]> = [
      ['gem/info/..%2f..%2fetc%2fpasswd', 400, 'invalid gem name'],
      ['gem/info/%2e%2e', 400, 'invalid gem name'],
      ['gem/gems/..%2fversions.gem', 400, 'invalid gem file name'],
      ['gem/gems/rack.gem', 400, 'invalid gem file name'],
      ['gem/quick/Marshal.4.8/..%2f..%2fx-1.0.gemspec.rz', 400, 'invalid gem'],
      ['gem/api/v1/dependencies?gems=rack', 404, 'not a RubyGems registry path'],
      ['gem/info/rack/extra', 404, 'not a RubyGems registry path'],
      [`gem/info/${'a'.repeat(300)}`, 400, 'invalid gem name'],
    ];
    for (const [path, status, reason] of cases) {
      const response = await raw(proxy.url, `/${path}`);
      expect(response.status, path).toBe(status);
      expect(response.text, path).toContain(reason);
      expect(response.text.trim().split('\n'), path).toHaveLength(1);
    }
    const push = await fetch(`${gem}api/v1/gems`, { method: 'POST', body: 'gem', headers: { 'content-type': 'application/octet-stream' } });
    expect(push.status).toBe(405);
    expect(await push.text()).toContain('read-only RubyGems registry');
  });
});

describe('RubyGems publish times from an upstream that gives none', () => {
  // No JSON API and no created_at: versions are dated when the proxy first sees them.
  const plain = new FakeGemRegistry({ api: false });
  let proxy: RunningProxy;

  beforeAll(async () => {
    await plain.start();
    await plain.publish({ name: 'undated', versions: [{ version: '1.0.0', age: 30 * DAY }] });
    proxy = await startProxy({ upstreams: { gem: plain.url }, cooldown: { ecosystems: { gem: '3d' } }, metadata_ttl: '1s' });
  });
  afterAll(async () => {
    await proxy.close();
    await plain.stop();
  });

  it('allows what was there on the first fetch, and holds back a version that appears later', async () => {
    const first = await get(`${proxy.url}gem/info/undated`);
    expect(first.text).toMatch(/^---\n1\.0\.0 /);
    expect((await get(`${proxy.url}gem/gems/undated-1.0.0.gem`)).status).toBe(200);

    await plain.publish({ name: 'undated', versions: [{ version: '1.0.0', age: 30 * DAY }, { version: '1.1.0', age: 40 * DAY }] });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await get(`${proxy.url}gem/info/undated`); // stale answer; the refresh runs behind it
    await expect.poll(async () => (await proxy.ctx.db.selectFrom('versions').selectAll().where('package', '=', 'undated').execute()).length, { timeout: 5000 }).toBe(2);

    // Its real age (40 days) is unknown to the proxy: it counts from when it first saw it.
    expect((await get(`${proxy.url}gem/info/undated`)).text).not.toContain('1.1.0');
    const refused = await get(`${proxy.url}gem/gems/undated-1.1.0.gem`);
    expect(refused.status).toBe(403);
    expect(refused.text).toMatch(/undated@1\.1\.0 was first seen by this proxy at \S+, inside the 3d cooldown set by cooldown\.ecosystems\.gem/);
  });
});
