import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getArtifact } from '../../shared/db/artifacts.js';
import { DAY, FakePypi, HOUR } from '../helpers/pypi-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { get, raw } from '../helpers/http.js';

/** What pip 23 sends for a project page. */
const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('pypi through the gateway', () => {
  const pypi = new FakePypi('pypi');
  const mirror = new FakePypi('mirror');
  let proxy: RunningProxy;
  let mount: string;

  beforeAll(async () => {
    await Promise.all([pypi.start(), mirror.start()]);
    await Promise.all([
      pypi.publish({
        name: 'Demo.Lib',
        releases: [
          { version: '1.0', age: 40 * DAY },
          { version: '1.1', age: 20 * DAY, yanked: 'broken on Windows' },
          { version: '2.0', age: 2 * HOUR },
        ],
      }),
      pypi.publish({ name: 'lock-only', releases: [{ version: '3.0', age: 30 * DAY }] }),
      pypi.publish({ name: 'tampered', releases: [{ version: '1.0', age: 30 * DAY }] }),
      mirror.publish({ name: 'internal_tool', releases: [{ version: '1.0', age: 30 * DAY }, { version: '1.1', age: HOUR }] }),
    ]);
    pypi.corrupt.add(pypi.file('tampered', '1.0', '.whl').filename);
    // The private index first, as a team would configure it: pypi.org answers what it lacks.
    proxy = await startProxy({ upstreams: { pypi: [mirror.url, pypi.url] }, cooldown: { ecosystems: { pypi: '3d' } } });
    mount = `${proxy.url}pypi/`;
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all([pypi.stop(), mirror.stop()]);
  });

  it('serves a PEP 691 project page once fetched, with file URLs on the proxy and the fresh version hidden', async () => {
    const cold = await get(`${mount}simple/demo-lib/`, { accept: PIP_ACCEPT });
    const warm = await get(`${mount}simple/demo-lib/`, { accept: PIP_ACCEPT });
    expect(cold.status).toBe(200);
    expect(warm.text).toBe(cold.text);
    expect(cold.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+json');
    expect(cold.headers.get('vary')).toMatch(/Accept/);
    expect(pypi.count(/^\/simple\/demo-lib\/$/)).toBe(1);
    expect(mirror.count(/^\/simple\/demo-lib\/$/)).toBe(1);

    const page = cold.json();
    expect(page.files.map((f: any) => f.filename)).toEqual([
      pypi.file('demo-lib', '1.0', '.whl').filename,
      pypi.file('demo-lib', '1.0', '.tar.gz').filename,
      pypi.file('demo-lib', '1.1', '.whl').filename,
      pypi.file('demo-lib', '1.1', '.tar.gz').filename,
    ]);
    expect(page.versions).toEqual(['1.0', '1.1']);
    const wheel = page.files[0];
    expect(wheel.url).toBe(`${mount}files/demo-lib/${encodeURIComponent(wheel.filename)}`);
    expect(wheel.hashes.sha256).toBe(pypi.file('demo-lib', '1.0', '.whl').sha256);
    expect(wheel['core-metadata']).toEqual({ sha256: sha256(pypi.file('demo-lib', '1.0', '.whl').metadata!) });
    expect(wheel['upload-time']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(page.files[2].yanked).toBe('broken on Windows');
  });

  it('serves the same page as PEP 503 HTML to clients that ask for it, from the same upstream document', async () => {
    const before = pypi.requests.length;
    const page = await get(`${mount}simple/demo-lib/`, { accept: 'text/html' });
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const wheel = pypi.file('demo-lib', '1.0', '.whl');
    expect(page.text).toContain(
      `<a href="${mount}files/demo-lib/${encodeURIComponent(wheel.filename)}#sha256=${wheel.sha256}" data-requires-python="&gt;=3.7" data-core-metadata="sha256=${sha256(wheel.metadata!)}"`,
    );
    expect(page.text).toContain('data-yanked="broken on Windows"');
    expect(page.text).not.toContain('2.0');
    expect(pypi.requests.length).toBe(before);
  });

  it('redirects other spellings of a project name to the normalized page', async () => {
    const moved = await get(`${mount}simple/Demo_Lib/`, {}, { redirect: 'manual' });
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toBe('../demo-lib/');
    const followed = await get(`${mount}simple/Demo.Lib`, { accept: PIP_ACCEPT });
    expect(followed.status).toBe(200);
    expect(followed.json().name).toBe('demo-lib');
  });

  it('downloads a wheel once, verified, and serves it from the cache after', async () => {
    const wheel = pypi.file('demo-lib', '1.0', '.whl');
    const url = `${mount}files/demo-lib/${encodeURIComponent(wheel.filename)}`;
    const cold = await get(url);
    const warm = await get(url);
    expect(cold.status).toBe(200);
    expect(cold.body.equals(wheel.bytes)).toBe(true);
    expect(warm.body.equals(wheel.bytes)).toBe(true);
    expect(cold.headers.get('etag')).toBe(`"${wheel.sha256}"`);
    expect(pypi.count(new RegExp(`^/packages/.*/${wheel.filename}$`), 'files')).toBe(1);
  });

  it('serves and caches PEP 658 metadata files', async () => {
    const wheel = pypi.file('demo-lib', '1.1', '.whl');
    const url = `${mount}files/demo-lib/${encodeURIComponent(wheel.filename)}.metadata`;
    const first = await get(url);
    const again = await get(url);
    expect(first.status).toBe(200);
    expect(first.body.equals(wheel.metadata!)).toBe(true);
    expect(first.text).toMatch(/^Metadata-Version: [\d.]+\nName: Demo\.Lib\nVersion: 1\.1\n/);
    expect(again.body.equals(wheel.metadata!)).toBe(true);
    expect(pypi.count(/\.metadata$/, 'files')).toBe(1);
    expect(pypi.fileDownloads()).not.toContain(wheel.filename);
  });

  it('refuses the files of a hidden version with 403 and the reason, in the body and the status line', async () => {
    for (const suffix of ['.whl', '.tar.gz', '.whl.metadata']) {
      const file = pypi.file('demo-lib', '2.0', suffix.replace('.metadata', ''));
      const refused = await get(`${mount}files/demo-lib/${encodeURIComponent(file.filename)}${suffix.endsWith('.metadata') ? '.metadata' : ''}`);
      expect(refused.status).toBe(403);
      expect(refused.text).toMatch(
        /^refused by policy: demo-lib@2\.0 was published at \d{4}-\d\d-\d\dT[\d:.]+Z, inside the 3d cooldown set by cooldown\.ecosystems\.pypi; it becomes available at \d{4}-\d\d-\d\dT[\d:.]+Z\n$/,
      );
      expect(refused.statusText).toBe(refused.text.trim());
    }
    expect(pypi.count(/2\.0/, 'files')).toBe(0);
  });

  it('applies the cooldown to the JSON API', async () => {
    const doc = (await get(`${mount}pypi/Demo.Lib/json`)).json();
    expect(Object.keys(doc.releases)).toEqual(['1.0', '1.1']);
    expect(doc.info.version).toBe('1.1');
    expect(doc.urls.map((f: any) => f.url)).toEqual(doc.releases['1.1'].map((f: any) => f.url));
    expect(doc.releases['1.0'][0].url).toBe(`${mount}files/demo-lib/${encodeURIComponent(pypi.file('demo-lib', '1.0', '.whl').filename)}`);
    const release = await get(`${mount}pypi/demo-lib/1.0/json`);
    expect(release.json().urls).toHaveLength(2);
    const hidden = await get(`${mount}pypi/demo-lib/2.0/json`);
    expect(hidden.status).toBe(404);
    expect(hidden.text).toMatch(/^demo-lib@2\.0 is hidden by policy: demo-lib@2\.0 was published at/);
  });

  it('serves a file asked for before its project page, fetching the page to learn where it lives', async () => {
    const wheel = pypi.file('lock-only', '3.0', '.whl');
    const response = await get(`${mount}files/lock-only/${encodeURIComponent(wheel.filename)}`);
    expect(response.status).toBe(200);
    expect(response.body.equals(wheel.bytes)).toBe(true);
    expect(pypi.count(/^\/simple\/lock-only\/$/)).toBe(1);
  });

  it('answers 502 for a file that fails its sha256, and stores nothing', async () => {
    const wheel = pypi.file('tampered', '1.0', '.whl');
    const url = `${mount}files/tampered/${encodeURIComponent(wheel.filename)}`;
    const first = await get(url);
    expect(first.status).toBe(502);
    expect(first.text).toMatch(/^integrity check failed for files\/tampered\/.+\.whl from http:\/\/127\.0\.0\.1:\d+\/packages\/.+: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}\n$/);
    expect((await getArtifact(proxy.ctx.db, 'pypi', `files/tampered/${wheel.filename}`))?.blob_sha256 ?? null).toBeNull();
    // Nothing was kept: the next request downloads (and refuses) it again.
    const before = pypi.count(new RegExp(`${wheel.filename}$`), 'files');
    expect((await get(url)).status).toBe(502);
    expect(pypi.count(new RegExp(`${wheel.filename}$`), 'files')).toBeGreaterThan(before);
  });

  it('serves a project from an HTML-only private index, resolving its relative links and dating it from its JSON API', async () => {
    const page = (await get(`${mount}simple/internal-tool/`, { accept: PIP_ACCEPT })).json();
    expect(page.files.map((f: any) => f.filename)).toEqual([mirror.file('internal-tool', '1.0', '.whl').filename, mirror.file('internal-tool', '1.0', '.tar.gz').filename]);
    expect(mirror.count(/^\/pypi\/internal-tool\/json$/)).toBe(1);
    expect(pypi.count(/internal-tool/)).toBe(0);

    const sdist = mirror.file('internal-tool', '1.0', '.tar.gz');
    const download = await get(page.files[1].url);
    expect(download.body.equals(sdist.bytes)).toBe(true);
    expect(mirror.count(new RegExp(`^/packages/.*/${sdist.filename}$`))).toBe(1);
    const fresh = await get(`${mount}files/internal-tool/${encodeURIComponent(mirror.file('internal-tool', '1.1', '.whl').filename)}`);
    expect(fresh.status).toBe(403);
    expect(fresh.text).toMatch(/internal-tool@1\.1 was published at/);
  });

  it('lists projects in both formats', async () => {
    const json = await get(`${mount}simple/`, { accept: PIP_ACCEPT });
    expect(json.json().projects.map((p: any) => p.name)).toEqual(['internal_tool']);
    const html = await get(`${mount}simple/`);
    expect(html.text).toContain('<a href="internal-tool/">internal_tool</a>');
  });

  it('answers bad input with a 4xx and a one-line reason', async () => {
    expect((await raw(proxy.url, '/pypi/files/demo-lib/..%2f..%2fsecret')).status).toBe(400);
    expect((await raw(proxy.url, '/pypi/simple/%2e%2e/')).status).toBe(400);
    const badName = await get(`${mount}simple/-nope-/`);
    expect(badName.status).toBe(400);
    expect(badName.text).toBe('invalid Python project name "-nope-"\n');
    expect((await get(`${mount}files/demo-lib/other-1.0.tar.gz`)).status).toBe(404);
    const missing = await get(`${mount}simple/no-such-project/`);
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('no-such-project is not in the upstream registry\n');
    expect((await get(`${mount}legacy/`, {}, { method: 'POST', body: 'x' })).status).toBe(405);
  });
});
