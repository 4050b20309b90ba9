import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeGoProxy } from '../helpers/go-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { get, raw } from '../helpers/http.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const STRUTIL = 'example.com/Shared/StrUtil';
const STRUTIL_PATH = 'example.com/!shared/!str!util';
const PSEUDO = 'v0.0.0-20261121200000-0123456789ab';
const REFUSAL = /^refused by policy: example\.com\/Shared\/StrUtil@v1\.2\.0 was published at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z, inside the 3d cooldown set by cooldown\.ecosystems\.go; it becomes available at \d{4}-.+Z\n$/;

describe('Go modules through the gateway', () => {
  const upstream = new FakeGoProxy();
  let proxy: RunningProxy;
  let go: string;

  beforeAll(async () => {
    await upstream.start();
    await upstream.publish(
      { path: STRUTIL, versions: [{ version: 'v1.0.0', age: 40 * DAY }, { version: 'v1.1.0', age: 20 * DAY }, { version: 'v1.2.0', age: 2 * HOUR }] },
      { path: 'example.com/fresh', versions: [{ version: 'v0.1.0', age: HOUR }] },
      { path: 'example.com/untagged', versions: [{ version: PSEUDO, age: 2 * HOUR }], queries: { main: PSEUDO } },
      { path: 'example.com/tampered', versions: [{ version: 'v1.0.0', age: 30 * DAY, tampered: true }] },
      { path: 'example.com/flaky', versions: [{ version: 'v1.0.0', age: 30 * DAY }] },
    );
    proxy = await startProxy({ upstreams: { go: upstream.url }, cooldown: { ecosystems: { go: '3d' } }, go: { private: ['*.corp.example.com', 'github.com/acme/*'] } });
    go = `${proxy.url}go/`;
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.stop();
  });
  afterEach(() => {
    upstream.faults.clear();
  });

  it('fetches a version list once, dating each version by its .info, and hides the fresh one', async () => {
    const cold = await get(`${go}${STRUTIL_PATH}/@v/list`);
    const warm = await get(`${go}${STRUTIL_PATH}/@v/list`);
    expect(cold.status).toBe(200);
    expect(cold.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(cold.text).toBe('v1.0.0\nv1.1.0\n');
    expect(warm.text).toBe(cold.text);
    expect(upstream.count(/StrUtil|!str!util\/@v\/list$/)).toBe(1);
    for (const version of ['v1.0.0', 'v1.1.0', 'v1.2.0']) expect(upstream.count(new RegExp(`!str!util/@v/${version}\\.info$`)), version).toBe(1);
    const rows = await proxy.ctx.db.selectFrom('versions').select(['version', 'published_at', 'publish_time_source']).where('package', '=', STRUTIL).orderBy('version').execute();
    expect(rows.map((r) => [r.version, r.publish_time_source])).toEqual([
      ['v1.0.0', 'upstream'],
      ['v1.1.0', 'upstream'],
      ['v1.2.0', 'upstream'],
    ]);
    expect(Number(rows[2]!.published_at)).toBe(Date.parse(JSON.parse(upstream.info(STRUTIL, 'v1.2.0')).Time));
  });

  it('takes the path with "!" percent-encoded, as the go command sends it, as the same module', async () => {
    const before = upstream.requests.length;
    const encoded = await raw(proxy.url, `/go/example.com/%21shared/%21str%21util/@v/list`);
    expect(encoded).toMatchObject({ status: 200, text: 'v1.0.0\nv1.1.0\n' });
    expect(upstream.requests.length).toBe(before);
  });

  it('serves .info, .mod and .zip of a visible version, fetched once, with the upstream bytes', async () => {
    const files = { info: upstream.info(STRUTIL, 'v1.1.0'), mod: upstream.built(STRUTIL, 'v1.1.0').goMod, zip: upstream.built(STRUTIL, 'v1.1.0').zip };
    const types = { info: 'application/json', mod: 'text/plain; charset=utf-8', zip: 'application/zip' };
    for (const extension of ['info', 'mod', 'zip'] as const) {
      const pattern = new RegExp(`!str!util/@v/v1\\.1\\.0\\.${extension}$`);
      const before = upstream.count(pattern);
      const cold = await get(`${go}${STRUTIL_PATH}/@v/v1.1.0.${extension}`);
      const warm = await get(`${go}${STRUTIL_PATH}/@v/v1.1.0.${extension}`);
      expect(cold.status, extension).toBe(200);
      expect(cold.headers.get('content-type'), extension).toBe(types[extension]);
      expect(warm.body.equals(Buffer.from(files[extension])), extension).toBe(true);
      expect(upstream.count(pattern) - before, extension).toBe(1);
    }
    const zip = await get(`${go}${STRUTIL_PATH}/@v/v1.1.0.zip`);
    expect((await get(`${go}${STRUTIL_PATH}/@v/v1.1.0.zip`, { 'if-none-match': zip.headers.get('etag')! })).status).toBe(304);
    const range = await get(`${go}${STRUTIL_PATH}/@v/v1.1.0.zip`, { range: 'bytes=0-3' });
    expect(range.status).toBe(206);
    expect(range.body).toEqual(files.zip.subarray(0, 4));
  });

  it('checks .zip and .mod against the checksum database, asking it once per download', async () => {
    expect(upstream.count(/\/sumdb\/sum\.golang\.org\/lookup\/example\.com\/!shared\/!str!util@v1\.1\.0$/)).toBe(2);
  });

  it('refuses .info, .mod and .zip of a version inside the cooldown with 403 and the reason', async () => {
    for (const extension of ['info', 'mod', 'zip']) {
      const refused = await get(`${go}${STRUTIL_PATH}/@v/v1.2.0.${extension}`);
      expect(refused.status, extension).toBe(403);
      expect(refused.headers.get('content-type'), extension).toBe('text/plain; charset=utf-8');
      expect(refused.text, extension).toMatch(REFUSAL);
    }
    const published = new Date(Date.parse(JSON.parse(upstream.info(STRUTIL, 'v1.2.0')).Time)).toISOString();
    expect((await get(`${go}${STRUTIL_PATH}/@v/v1.2.0.zip`)).text).toContain(`published at ${published}`);
  });

  it('refuses @latest naming a hidden version with 403, so that "direct" cannot go around it; lists what remains', async () => {
    const latest = await get(`${go}${STRUTIL_PATH}/@latest`);
    expect(latest.status).toBe(403);
    expect(latest.text).toMatch(REFUSAL);
    expect((await get(`${go}example.com/fresh/@v/list`)).text).toBe('');
    const fresh = await get(`${go}example.com/fresh/@latest`);
    expect(fresh.status).toBe(403);
    expect(fresh.text).toContain('example.com/fresh@v0.1.0 was published at');
  });

  it('dates a pseudo-version that no list names by its .info, and refuses it inside the cooldown', async () => {
    const query = await get(`${go}example.com/untagged/@v/main.info`);
    expect(query.status).toBe(403);
    expect(query.text).toContain(`refused by policy: example.com/untagged@${PSEUDO} was published at`);
    const zip = await get(`${go}example.com/untagged/@v/${PSEUDO}.zip`);
    expect(zip.status).toBe(403);
    expect(zip.text).toContain(`example.com/untagged@${PSEUDO} was published at`);
  });

  it('serves @latest and a query of visible versions as upstream wrote them', async () => {
    await upstream.publish({ path: 'example.com/settled', versions: [{ version: 'v1.5.0', age: 10 * DAY }, { version: 'v0.0.0-20200101000000-aaaaaaaaaaaa', age: 900 * DAY }], queries: { old: 'v0.0.0-20200101000000-aaaaaaaaaaaa' } });
    const latest = await get(`${go}example.com/settled/@latest`);
    expect(latest.status).toBe(200);
    expect(JSON.parse(latest.text)).toEqual(JSON.parse(upstream.info('example.com/settled', 'v1.5.0')));
    const query = await get(`${go}example.com/settled/@v/old.info`);
    expect(JSON.parse(query.text).Version).toBe('v0.0.0-20200101000000-aaaaaaaaaaaa');
  });

  it('refuses a zip whose h1: hash differs from the checksum database, and stores nothing', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await get(`${go}example.com/tampered/@v/v1.0.0.zip`);
      expect(response.status).toBe(502);
      expect(response.text).toMatch(/^integrity check failed for example\.com\/tampered\/@v\/v1\.0\.0\.zip from http:\/\/127\.0\.0\.1:\d+\/example\.com\/tampered\/@v\/v1\.0\.0\.zip: example\.com\/tampered v1\.0\.0 hashes to h1:\S+, but sum\.golang\.org records h1:\S+\n$/);
      expect(response.text).toContain(upstream.built('example.com/tampered', 'v1.0.0').zipHash);
    }
    const row = await proxy.ctx.db.selectFrom('artifacts').selectAll().where('path', '=', 'example.com/tampered/@v/v1.0.0.zip').executeTakeFirst();
    expect(row?.blob_sha256 ?? null).toBeNull();
    // Each client request is one download: an integrity failure is not retried.
    expect(upstream.count(/tampered\/@v\/v1\.0\.0\.zip$/)).toBe(2);
    // Its go.mod is the genuine one.
    expect((await get(`${go}example.com/tampered/@v/v1.0.0.mod`)).status).toBe(200);
  });

  it('never stores a truncated zip', async () => {
    upstream.faults.set(/flaky\/@v\/v1\.0\.0\.zip$/, 'truncate');
    const broken = await get(`${go}example.com/flaky/@v/v1.0.0.zip`);
    expect(broken.status).toBe(502);
    expect(broken.text.trim().split('\n')).toHaveLength(1);
    const row = await proxy.ctx.db.selectFrom('artifacts').selectAll().where('path', '=', 'example.com/flaky/@v/v1.0.0.zip').executeTakeFirst();
    expect(row?.blob_sha256 ?? null).toBeNull();
    upstream.faults.clear();
    const healed = await get(`${go}example.com/flaky/@v/v1.0.0.zip`);
    expect(healed.status).toBe(200);
    expect(healed.body.equals(upstream.built('example.com/flaky', 'v1.0.0').zip)).toBe(true);
  });

  it('passes the checksum database through and keeps what it fetched', async () => {
    const paths = [
      ['supported', ''],
      ['lookup/example.com/!shared/!str!util@v1.0.0', upstream.lookup(STRUTIL, 'v1.0.0')],
    ] as const;
    for (const [path, body] of paths) {
      const before = upstream.count(new RegExp(`/sumdb/sum\\.golang\\.org/${path.replace(/[.!]/g, '\\$&')}$`));
      const cold = await get(`${go}sumdb/sum.golang.org/${path}`);
      const warm = await get(`${go}sumdb/sum.golang.org/${path}`);
      expect([cold.status, warm.status], path).toEqual([200, 200]);
      expect(warm.text, path).toBe(body);
      expect(cold.headers.get('content-type'), path).toBe('text/plain; charset=utf-8');
      expect(upstream.count(new RegExp(`/sumdb/sum\\.golang\\.org/${path.replace(/[.!]/g, '\\$&')}$`)) - before, path).toBe(1);
    }
    const tile = await get(`${go}sumdb/sum.golang.org/tile/8/0/x001/234`);
    expect(tile.status).toBe(200);
    expect(tile.headers.get('content-type')).toBe('application/octet-stream');
    expect(tile.body.length).toBe(256 * 32);
    expect((await get(`${go}sumdb/sum.golang.org/tile/8/1/000.p/7`)).body.length).toBe(7 * 32);
    expect((await get(`${go}sumdb/sum.golang.org/tile/8/0/x001/234`)).body.equals(tile.body)).toBe(true);
    expect(upstream.count(/tile\/8\/0\/x001\/234$/)).toBe(1);
    expect((await get(`${go}sumdb/sum.golang.org/latest`)).text).toMatch(/^go\.sum database tree\n\d+\n/);
    const unknown = await get(`${go}sumdb/sum.golang.org/lookup/example.com/nothing@v1.0.0`);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('sumdb/sum.golang.org/lookup/example.com/nothing@v1.0.0 is not in the upstream registry\n');
  });

  it('answers 404 for modules matching go.private without asking upstream', async () => {
    const before = upstream.requests.length;
    for (const path of ['git.corp.example.com/team/tool/@v/list', 'github.com/acme/widget/@v/v1.0.0.zip', 'github.com/acme/widget/@latest']) {
      const response = await get(`${go}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.text, path).toMatch(/matches the private pattern "(\*\.corp\.example\.com|github\.com\/acme\/\*)" \(go\.private\)/);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('answers 404 for a module upstream does not have, and remembers it briefly', async () => {
    const first = await get(`${go}example.com/nope/@v/list`);
    const second = await get(`${go}example.com/nope/@v/list`);
    expect([first.status, second.status]).toEqual([404, 404]);
    expect(first.text).toContain('example.com/nope');
    expect(upstream.count(/nope\/@v\/list$/)).toBe(1);
    expect((await get(`${go}example.com/nope/@v/v1.0.0.zip`)).status).toBe(404);
    // A version upstream has no .info for leaves no trace: the go command probes path prefixes that way.
    const rows = await proxy.ctx.db.selectFrom('versions').selectAll().where('package', '=', 'example.com/nope').execute();
    expect(rows).toEqual([]);
  });

  it('rejects bad input with a one-line reason', async () => {
    const cases: Array<[string, number, string]> = [
      ['go/example.com/../../etc/passwd/@v/list', 400, 'invalid module path'],
      ['go/example.com/%2e%2e/x/@v/list', 400, 'invalid module path'],
      ['go/example.com/m/@v/..%2f..%2fsecret.zip', 400, 'encoded "/"'],
      ['go/github.com/BurntSushi/toml/@v/list', 400, 'upper-case letters must be escaped'],
      ['go/example.com/m/@v/v1.2.zip', 400, 'canonical semantic version'],
      ['go/example.com/m/@v/v1.0.0.tar', 404, 'not a Go module proxy path'],
      ['go/sumdb/sum.golang.org/tile/../../x', 400, 'invalid checksum database tile path'],
      [`go/example.com/${'a'.repeat(5000)}/@v/list`, 400, 'longer than'],
    ];
    for (const [path, status, reason] of cases) {
      const response = await raw(proxy.url, `/${path}`);
      expect(response.status, path).toBe(status);
      expect(response.text, path).toContain(reason);
      expect(response.text.trim().split('\n'), path).toHaveLength(1);
    }
    const put = await fetch(`${go}example.com/m/@v/v1.0.0.zip`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(await put.text()).toContain('read-only Go module proxy');
  });

  it('counts refusals and integrity failures in the metrics', async () => {
    const metrics = (await get(`${proxy.url}metrics`)).text;
    expect(metrics).toContain('pkgproxy_policy_refusals_total{ecosystem="go",rule="cooldown.ecosystems.go"}');
    expect(metrics).toMatch(/pkgproxy_integrity_failures_total\{ecosystem="go"\} [1-9]/);
  });
});

describe('Go modules from several upstreams', () => {
  const first = new FakeGoProxy();
  const second = new FakeGoProxy();
  let proxy: RunningProxy;

  beforeAll(async () => {
    await Promise.all([first.start(), second.start()]);
    await first.publish({ path: 'example.com/everywhere', versions: [{ version: 'v1.0.0', age: 10 * DAY }] });
    await second.publish(
      { path: 'example.com/everywhere', versions: [{ version: 'v1.0.0', age: 10 * DAY }, { version: 'v1.9.0', age: 10 * DAY }] },
      { path: 'example.com/mirrored', versions: [{ version: 'v1.0.0', age: 10 * DAY }] },
    );
    proxy = await startProxy({ upstreams: { go: [first.url, second.url] } });
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([first.stop(), second.stop()]);
  });

  it('asks the next upstream on 404, for documents, artifacts and publish times', async () => {
    expect((await get(`${proxy.url}go/example.com/mirrored/@v/list`)).text).toBe('v1.0.0\n');
    const zip = await get(`${proxy.url}go/example.com/mirrored/@v/v1.0.0.zip`);
    expect(zip.status).toBe(200);
    expect(zip.body.equals(second.built('example.com/mirrored', 'v1.0.0').zip)).toBe(true);
    expect(first.count(/mirrored\/@v\/v1\.0\.0\.zip$/)).toBe(1);
    expect(second.count(/mirrored\/@v\/v1\.0\.0\.zip$/)).toBe(1);
    const row = await proxy.ctx.db.selectFrom('versions').selectAll().where('package', '=', 'example.com/mirrored').executeTakeFirst();
    expect(row?.publish_time_source).toBe('upstream');
  });

  it('takes a document from the first upstream that has it', async () => {
    expect((await get(`${proxy.url}go/example.com/everywhere/@v/list`)).text).toBe('v1.0.0\n');
    expect(second.count(/everywhere\/@v\/list$/)).toBe(0);
  });
});
