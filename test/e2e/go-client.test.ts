import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoSandbox } from '../helpers/go-cli.js';
import { FakeGoProxy, type FakeGoModule } from '../helpers/go-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';

/**
 * The real go command (go on PATH) building a program through pkgproxy from a fake Go module
 * proxy that serves zips made by golang.org/x/mod/zip. Tests in this file run in order.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;

const STRUTIL = 'example.com/Shared/StrUtil';
const WRAP = 'example.com/text/wrap';
const GREET = 'example.com/app/greet';
const CLOCK = 'example.com/cool/clock';

/** greet requires StrUtil v1.1.0 and wrap, which requires StrUtil v1.0.0: minimal version selection picks v1.1.0. */
const GRAPH: FakeGoModule[] = [
  {
    path: STRUTIL,
    versions: [
      { version: 'v1.0.0', age: 200 * DAY, source: 'package strutil\n\nimport "strings"\n\nfunc Shout(s string) string { return strings.ToUpper(s) + "!" }\n\nfunc Version() string { return "strutil v1.0.0" }\n' },
      { version: 'v1.1.0', age: 100 * DAY, source: 'package strutil\n\nimport "strings"\n\nfunc Shout(s string) string { return strings.ToUpper(s) + "!!" }\n\nfunc Version() string { return "strutil v1.1.0" }\n' },
    ],
  },
  {
    path: WRAP,
    versions: [
      {
        version: 'v1.0.0',
        age: 150 * DAY,
        requires: { [STRUTIL]: 'v1.0.0' },
        source: `package wrap\n\nimport strutil "${STRUTIL}"\n\nfunc Brackets(s string) string { return "[" + strutil.Shout(s) + "]" }\n`,
      },
    ],
  },
  {
    path: GREET,
    versions: [
      {
        version: 'v1.0.0',
        age: 50 * DAY,
        requires: { [STRUTIL]: 'v1.1.0', [WRAP]: 'v1.0.0' },
        source: `package greet\n\nimport (\n\tstrutil "${STRUTIL}"\n\t"${WRAP}"\n)\n\nfunc Hello(name string) string { return wrap.Brackets("hello " + name) + " via " + strutil.Version() }\n`,
      },
    ],
  },
];

/** A fresh latest version for the cooldown tests. */
const COOL: FakeGoModule = {
  path: CLOCK,
  versions: [
    { version: 'v1.0.0', age: 30 * DAY },
    { version: 'v1.1.0', age: 10 * DAY },
    { version: 'v1.2.0', age: HOUR },
  ],
};

const MAIN = `package main\n\nimport (\n\t"fmt"\n\n\t"${GREET}"\n)\n\nfunc main() { fmt.Println(greet.Hello("gopher")) }\n`;

/**
 * A GET on a connection of its own, closed after the answer, like curl's: a keep-alive
 * connection left in fetch()'s pool can hold the proxy's shutdown until it times out.
 */
function download(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** Module files the fake upstream served, as "<path>@<version>.<ext>" with the module path unescaped. */
function served(upstream: FakeGoProxy, extension: 'zip' | 'mod' | 'info'): string[] {
  return upstream.requests
    .filter((r) => r.method === 'GET' && r.url.endsWith(`.${extension}`) && r.url.includes('/@v/'))
    .map((r) => {
      const [path, file] = decodeURIComponent(r.url.slice(1)).replace(/!([a-z])/g, (_m, c: string) => c.toUpperCase()).split('/@v/');
      return `${path}@${file}`;
    })
    .sort();
}

describe('the go command through pkgproxy', () => {
  let upstream: FakeGoProxy;
  /** No cooldown. */
  let proxy: RunningProxy;
  /** cooldown.ecosystems.go = 3d. */
  let coolProxy: RunningProxy;
  const sandboxes: GoSandbox[] = [];
  const sandbox = (p: RunningProxy) => {
    const s = GoSandbox.create(`${p.url}go`);
    sandboxes.push(s);
    return s;
  };

  beforeAll(async () => {
    upstream = await new FakeGoProxy().start();
    await upstream.publish(...GRAPH, COOL);
    proxy = await startProxy({ upstreams: { go: upstream.url } });
    coolProxy = await startProxy({ upstreams: { go: upstream.url }, cooldown: { ecosystems: { go: '3d' } } });
  });

  afterAll(async () => {
    for (const s of sandboxes) s.cleanup();
    await proxy?.close();
    await coolProxy?.close();
    await upstream?.stop();
  });

  it('runs go isolated from the machine configuration', async () => {
    const go = sandbox(proxy);
    const result = await go.ok(['env', 'GOPROXY', 'GOSUMDB', 'GOFLAGS', 'GOPRIVATE', 'GONOSUMDB', 'GOMODCACHE', 'GOENV'], go.root);
    // GOENV prints empty when it is "off": no go env file is read.
    expect(result.stdout.split('\n').slice(0, 7)).toEqual([`${proxy.url}go`, 'off', '-mod=mod', '', '', go.env().GOMODCACHE, '']);
  });

  it('builds a program with dependencies cold, then warm from the proxy alone', async () => {
    const go = sandbox(proxy);
    const project = go.newProject('app', { [GREET]: 'v1.0.0' }, MAIN);

    // Cold: everything comes from the fake upstream through the proxy.
    await go.ok(['build', '-o', 'app', '.'], project);
    expect(execFileSync(join(project, 'app'), { encoding: 'utf8' })).toBe('[HELLO GOPHER!!] via strutil v1.1.0\n');

    // Minimal version selection chose StrUtil v1.1.0 (with go 1.17+ module graph pruning, wrap's
    // requirement of v1.0.0 needs no go.mod of its own): each chosen file was fetched once.
    expect(served(upstream, 'zip')).toEqual([`${GREET}@v1.0.0.zip`, `${STRUTIL}@v1.1.0.zip`, `${WRAP}@v1.0.0.zip`].sort());
    expect(served(upstream, 'mod')).toEqual([`${GREET}@v1.0.0.mod`, `${STRUTIL}@v1.1.0.mod`, `${WRAP}@v1.0.0.mod`].sort());

    // go.sum holds the hashes of the zips the fake upstream built: the bytes went through untouched.
    const goSum = readFileSync(join(project, 'go.sum'), 'utf8');
    for (const [path, version] of [[GREET, 'v1.0.0'], [WRAP, 'v1.0.0'], [STRUTIL, 'v1.1.0']] as const) {
      expect(goSum).toContain(`${path} ${version} ${upstream.built(path, version).zipHash}\n`);
      expect(goSum).toContain(`${path} ${version}/go.mod ${upstream.built(path, version).modHash}\n`);
    }

    // Warm: an empty module cache and build cache; go.sum now pins every hash.
    const before = { zip: served(upstream, 'zip'), mod: served(upstream, 'mod'), info: served(upstream, 'info') };
    go.freshCaches();
    await go.ok(['build', '-o', 'app-warm', '.'], project);
    expect(execFileSync(join(project, 'app-warm'), { encoding: 'utf8' })).toBe('[HELLO GOPHER!!] via strutil v1.1.0\n');
    expect({ zip: served(upstream, 'zip'), mod: served(upstream, 'mod'), info: served(upstream, 'info') }).toEqual(before);
  });

  describe('cooldown (cooldown.ecosystems.go = 3d)', () => {
    it('go get <module> picks the newest version outside the cooldown', async () => {
      const go = sandbox(coolProxy);
      const project = go.newProject('cool', {}, `package main\n\nimport (\n\t"fmt"\n\n\t"${CLOCK}"\n)\n\nfunc main() { fmt.Println(clock.Version()) }\n`);
      const result = await go.ok(['get', CLOCK], project);
      expect(result.stderr).toContain(`go: added ${CLOCK} v1.1.0`);
      expect(readFileSync(join(project, 'go.mod'), 'utf8')).toMatch(/^require example\.com\/cool\/clock v1\.1\.0\b/m);
      expect((await go.ok(['run', '.'], project)).stdout).toBe(`${CLOCK}@v1.1.0\n`);
      expect((await go.ok(['list', '-m', '-versions', CLOCK], project)).stdout).toBe(`${CLOCK} v1.0.0 v1.1.0\n`);
      expect(served(upstream, 'zip')).not.toContain(`${CLOCK}@v1.2.0.zip`);
    });

    it('go get <module>@<fresh version> fails and prints the reason', async () => {
      const go = sandbox(coolProxy);
      const project = go.newProject('pinned', {}, 'package main\n\nfunc main() {}\n');
      const result = await go.run(['get', `${CLOCK}@v1.2.0`], project);
      expect(result.code, result.output).not.toBe(0);
      expect(result.stderr).toContain('403 Forbidden');
      expect(result.stderr).toMatch(/server response: refused by policy: example\.com\/cool\/clock@v1\.2\.0 was published at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z, inside the 3d cooldown set by cooldown\.ecosystems\.go/);
      expect(readFileSync(join(project, 'go.mod'), 'utf8')).not.toContain(CLOCK);
    });

    it('a go.mod requiring the fresh version cannot bypass the cooldown', async () => {
      const go = sandbox(coolProxy);
      const project = go.newProject('locked', { [CLOCK]: 'v1.2.0' }, `package main\n\nimport (\n\t"fmt"\n\n\t"${CLOCK}"\n)\n\nfunc main() { fmt.Println(clock.Version()) }\n`);
      const result = await go.run(['build', '.'], project);
      expect(result.code, result.output).not.toBe(0);
      expect(result.stderr).toContain('403 Forbidden');
      expect(result.stderr).toContain('refused by policy: example.com/cool/clock@v1.2.0 was published at');
    });

    it('a direct download of the fresh version is refused with 403 and the reason', async () => {
      for (const extension of ['zip', 'mod', 'info']) {
        const response = await download(`${coolProxy.url}go/example.com/cool/clock/@v/v1.2.0.${extension}`);
        expect(response.status, extension).toBe(403);
        const published = new Date(Date.parse(JSON.parse(upstream.info(CLOCK, 'v1.2.0')).Time)).toISOString();
        expect(response.body.toString(), extension).toBe(
          `refused by policy: ${CLOCK}@v1.2.0 was published at ${published}, inside the 3d cooldown set by cooldown.ecosystems.go; ` +
            `it becomes available at ${new Date(Date.parse(published) + 3 * DAY).toISOString()}\n`,
        );
      }
      // The proxy without cooldown serves it.
      const open = await download(`${proxy.url}go/example.com/cool/clock/@v/v1.2.0.zip`);
      expect(open.status).toBe(200);
      expect(open.body.equals(upstream.built(CLOCK, 'v1.2.0').zip)).toBe(true);
    });
  });
});
