import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rubyEnv } from '../helpers/gem-build.js';
import { GemSandbox, ok, readLockfile } from '../helpers/gem-cli.js';
import { DAY, FakeGemRegistry, HOUR } from '../helpers/gem-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';

/**
 * The real gem and bundle commands (Debian's RubyGems 3.3 and Bundler 2.3) installing through
 * pkgproxy from a fake rubygems.org that serves gems built by `gem build`. Tests in this file
 * run in order and share the registry, the proxies and the sandbox.
 */

const GEMS = [
  // 1.2.0 was pushed two hours ago: inside the 3-day cooldown.
  { name: 'acme-core', versions: [{ version: '1.0.0', age: 300 * DAY }, { version: '1.1.0', age: 100 * DAY }, { version: '1.2.0', age: 2 * HOUR }] },
  {
    name: 'acme-http',
    versions: [
      { version: '2.0.0', age: 200 * DAY, dependencies: { 'acme-core': ['~> 1.0'] } },
      { version: '2.1.0', age: 50 * DAY, dependencies: { 'acme-core': ['>= 1.0', '< 2'] } },
    ],
  },
  { name: 'acme-log', versions: [{ version: '0.5.0', age: 60 * DAY, dependencies: { 'acme-fmt': ['>= 0.1'] } }] },
  { name: 'acme-fmt', versions: [{ version: '0.1.0', age: 400 * DAY }, { version: '0.2.0', age: HOUR }] },
];

const GEMFILE = (source: string) => `source "${source}"\n\ngem "acme-http", "~> 2.0"\ngem "acme-log"\n`;
const BUNDLED = ['acme-core-1.1.0', 'acme-fmt-0.1.0', 'acme-http-2.1.0', 'acme-log-0.5.0'];

const ruby = (script: string) => promisify(execFile)('ruby', ['-rrubygems/remote_fetcher', '-e', script], { env: rubyEnv(tmpdir()), encoding: 'utf8' });

/** How many compact index requests the proxy answered 304 Not Modified. */
async function notModifiedCount(proxy: RunningProxy): Promise<number> {
  const metrics = await (await fetch(`${proxy.url}metrics`)).text();
  return Number(/^pkgproxy_requests_total\{ecosystem="gem",kind="metadata",status="304"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

/** Gem files and quick specs the upstream was asked for: the artifacts. */
const ARTIFACTS = /^\/(gems|cdn\/gems|quick\/Marshal\.4\.8)\//;

describe('gem and Bundler through pkgproxy', () => {
  const upstream = new FakeGemRegistry();
  const sandbox = new GemSandbox();
  // One proxy per client, so that each client's first run is cold.
  let forGem: RunningProxy;
  let forBundler: RunningProxy;
  let coldProject = '';
  let warmProject = '';

  beforeAll(async () => {
    await upstream.start();
    await upstream.publish(...GEMS);
    const config = { upstreams: { gem: upstream.url }, cooldown: { ecosystems: { gem: '3d' } } };
    [forGem, forBundler] = await Promise.all([startProxy(config), startProxy(config)]);
  });
  afterAll(async () => {
    await Promise.all([forGem?.close(), forBundler?.close()]);
    await upstream.stop();
    sandbox.cleanup();
  });

  const gemInstall = (source: string, ...args: string[]) => sandbox.gem(['install', ...args, '--clear-sources', '--source', source, '--no-document']);

  it('installs from the fake registry directly, taking the newest versions (no proxy, no cooldown)', async () => {
    ok(await gemInstall(upstream.url, 'acme-http'));
    expect(sandbox.installed('gem')).toEqual(['acme-core-1.2.0', 'acme-http-2.1.0']);
  });

  it('gem install, cold: the gem and its dependency through the proxy, the fresh version passed over', async () => {
    sandbox.freshMachine();
    const before = upstream.count(ARTIFACTS);
    const result = ok(await gemInstall(`${forGem.url}gem/`, 'acme-http'));
    expect(result.output).toContain('Successfully installed acme-core-1.1.0');
    expect(sandbox.installed('gem')).toEqual(['acme-core-1.1.0', 'acme-http-2.1.0']);
    // Each gem and quick spec came from upstream once (a gem twice: rubygems.org redirects to its CDN).
    expect(upstream.count(ARTIFACTS) - before).toBe(6);
  });

  it('gem install, warm: a fresh machine gets everything from the proxy, no artifact from upstream', async () => {
    sandbox.freshMachine();
    const before = upstream.requests.length;
    ok(await gemInstall(`${forGem.url}gem/`, 'acme-http'));
    expect(sandbox.installed('gem')).toEqual(['acme-core-1.1.0', 'acme-http-2.1.0']);
    expect(upstream.requests.slice(before).filter((r) => ARTIFACTS.test(r.path))).toEqual([]);
  });

  it('bundle install, cold: a Gemfile with dependencies resolved past the fresh versions', async () => {
    sandbox.freshMachine();
    const project = (coldProject = sandbox.project('bundled', GEMFILE(`${forBundler.url}gem/`)));
    const before = upstream.requests.length;
    const result = ok(await sandbox.bundle(['install'], project));
    expect(result.output).toContain('Bundle complete!');
    expect(sandbox.installed('bundle')).toEqual(BUNDLED);
    const lockfile = readLockfile(project);
    expect(lockfile).toContain(`remote: ${forBundler.url}gem/`);
    expect(lockfile).toContain('acme-core (1.1.0)');
    expect(lockfile).toContain('acme-fmt (0.1.0)');
    const fetched = upstream.requests.slice(before).map((r) => r.path);
    expect(fetched.filter((p) => p.startsWith('/gems/')).sort()).toEqual(BUNDLED.map((g) => `/gems/${g}.gem`));
    expect(fetched.filter((p) => /1\.2\.0|0\.2\.0/.test(p))).toEqual([]);
  });

  it('bundle install, warm: a fresh machine and Bundler cache fetch no artifact upstream', async () => {
    sandbox.freshMachine();
    const project = (warmProject = sandbox.project('bundled-again', GEMFILE(`${forBundler.url}gem/`)));
    const before = upstream.requests.length;
    ok(await sandbox.bundle(['install'], project));
    expect(sandbox.installed('bundle')).toEqual(BUNDLED);
    expect(readLockfile(project)).toBe(readLockfile(coldProject));
    expect(upstream.requests.slice(before).filter((r) => ARTIFACTS.test(r.path))).toEqual([]);
  });

  it('bundle update with the client cache kept: the compact index revalidates by MD5 ETag', async () => {
    const before = await notModifiedCount(forBundler);
    const result = ok(await sandbox.bundle(['update'], warmProject));
    expect(result.output).toContain('Bundle updated!');
    expect(readLockfile(warmProject)).toContain('acme-core (1.1.0)');
    // /versions, and acme-core's /info, whose MD5 in /versions is upstream's (it lists 1.2.0).
    expect(await notModifiedCount(forBundler)).toBeGreaterThanOrEqual(before + 2);
  });

  it('a Gemfile on https://rubygems.org installs through the proxy with Bundler mirror configuration', async () => {
    sandbox.freshMachine();
    const project = sandbox.project('mirrored', GEMFILE('https://rubygems.org'));
    // What `bundle config set --global mirror.https://rubygems.org <proxy>` writes.
    const result = ok(await sandbox.bundle(['install'], project, { 'BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/': `${forBundler.url}gem/` }));
    expect(result.output).toContain(`Fetching gem metadata from ${forBundler.url}gem/`);
    expect(sandbox.installed('bundle')).toEqual(BUNDLED);
  });

  it('cooldown: the hidden version is not found by gem or Bundler, and its download is refused with the reason', async () => {
    const pinned = await gemInstall(`${forGem.url}gem/`, 'acme-core', '-v', '1.2.0');
    expect(pinned.code).not.toBe(0);
    expect(pinned.output).toContain("Could not find a valid gem 'acme-core' (= 1.2.0)");

    const project = sandbox.project('pinned', `source "${forBundler.url}gem/"\ngem "acme-core", "1.2.0"\n`);
    const bundled = await sandbox.bundle(['install'], project);
    expect(bundled.code).not.toBe(0);
    expect(bundled.output).toContain("Could not find gem 'acme-core (= 1.2.0)'");
    expect(bundled.output).toContain('acme-core-1.1.0');

    const before = upstream.requests.length;
    for (const proxy of [forGem, forBundler]) {
      const refused = await fetch(`${proxy.url}gem/gems/acme-core-1.2.0.gem`);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toMatch(
        /^refused by policy: acme-core@1\.2\.0 was published at \S+Z, inside the 3d cooldown set by cooldown\.ecosystems\.gem; it becomes available at \S+Z\n$/,
      );
    }
    expect(upstream.requests.slice(before)).toEqual([]);

    // gem and Bundler download through RubyGems' fetcher, which shows the status line's reason.
    const { stdout } = await ruby(`begin
  Gem::RemoteFetcher.fetcher.fetch_path(URI(${JSON.stringify(`${forGem.url}gem/gems/acme-core-1.2.0.gem`)}))
rescue Gem::RemoteFetcher::FetchError => e
  puts e.message
end`);
    expect(stdout).toMatch(/^bad response refused by policy: acme-core@1\.2\.0 was published at \S+, inside the 3d cooldown set by cooldown\.ecosystems\.gem; it becomes available at \S+ 403 \(/);
  });
});
