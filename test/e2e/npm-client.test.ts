import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeNpmRegistry, HOUR, type FakePackage } from '../helpers/fake-npm-registry.js';
import { installedPackages, NpmSandbox, readLockfile, rewriteResolved, writeLockfile, type Lockfile } from '../helpers/npm-cli.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';

/**
 * The real npm client (npm on PATH) installing through pkgproxy from a fake upstream registry.
 * Tests in this file run in order and share the registry and the proxies.
 */

const v = (version: string, ageDays: number, dependencies?: Record<string, string>) => ({ version, age: ageDays * DAY, ...(dependencies ? { dependencies } : {}) });

/** A dependency graph of 30 packages (plus one nobody depends on), scoped and plain, all published long ago. */
const GRAPH: FakePackage[] = [
  { name: '@acme/core', versions: [v('1.0.0', 300), v('1.2.0', 200), v('2.0.0', 100)] },
  { name: '@acme/utils', versions: [v('2.0.0', 250, { '@acme/core': '^1.0.0', lodashy: '^4.17.0' }), v('2.1.0', 150, { '@acme/core': '^1.0.0', lodashy: '^4.17.0' })] },
  { name: '@acme/logger', versions: [v('1.1.0', 180, { '@acme/utils': '^2.0.0', colorish: '^1.0.0' })] },
  { name: '@acme/http', versions: [v('3.0.0', 120, { '@acme/logger': '^1.0.0', '@tools/retry': '^0.3.0', mimeish: '^1.52.0' })] },
  { name: '@acme/db', versions: [v('0.9.0', 90, { '@acme/core': '^2.0.0', uuidish: '^9.0.0' })] },
  { name: '@acme/config', versions: [v('1.0.0', 60, { dotish: '^16.0.0' })] },
  { name: '@acme/types', versions: [v('0.1.0', 400)] },
  { name: '@tools/retry', versions: [v('0.3.0', 200, { backoffish: '^2.0.0' }), v('0.3.1', 100, { backoffish: '^2.0.0' })] },
  { name: '@tools/cli', versions: [v('1.0.0', 150, { 'argparse-lite': '^1.0.0', colorish: '^2.0.0' })] },
  { name: '@tools/build', versions: [v('2.1.0', 80, { '@tools/cli': '^1.0.0', 'globby-lite': '^3.0.0' })] },
  { name: '@tools/lint', versions: [v('5.0.0', 70, { 'minimatch-lite': '^5.0.0' })] },
  { name: '@tools/fmt', versions: [v('0.5.0', 50)] },
  { name: 'lodashy', versions: [v('4.17.20', 500), v('4.17.21', 400), v('5.0.0-beta.1', 30)] },
  { name: 'colorish', versions: [v('1.4.0', 300), v('2.0.0', 200), v('2.1.0', 100)] },
  { name: 'backoffish', versions: [v('2.0.1', 300)] },
  { name: 'argparse-lite', versions: [v('1.0.3', 300)] },
  { name: 'globby-lite', versions: [v('3.0.0', 200, { 'minimatch-lite': '^5.0.0', 'fast-globish': '^3.2.0' })] },
  { name: 'minimatch-lite', versions: [v('5.1.0', 150, { 'brace-lite': '^2.0.0' })] },
  { name: 'brace-lite', versions: [v('2.0.1', 300, { 'balanced-lite': '^1.0.0' })] },
  { name: 'balanced-lite', versions: [v('1.0.2', 400)] },
  { name: 'fast-globish', versions: [v('3.2.12', 200, { 'merge-lite': '^1.4.0' })] },
  { name: 'merge-lite', versions: [v('1.4.1', 300)] },
  { name: 'mimeish', versions: [v('1.52.0', 300)] },
  { name: 'uuidish', versions: [v('9.0.1', 100)] },
  { name: 'dotish', versions: [v('16.4.5', 60)] },
  { name: 'semverish', versions: [v('7.6.0', 200), v('7.6.3', 100)] },
  { name: 'debugish', versions: [v('4.3.4', 200, { msish: '2.1.2' })] },
  { name: 'msish', versions: [v('2.1.2', 400), v('2.1.3', 300)] },
  { name: 'qs-lite', versions: [v('6.11.0', 120, { 'side-lite': '^1.0.4' })] },
  { name: 'side-lite', versions: [v('1.0.4', 100)] },
  { name: 'unused-pkg', versions: [v('1.0.0', 100)] },
];

const ROOT_DEPENDENCIES: Record<string, string> = {
  '@acme/core': '^1.0.0',
  '@acme/utils': '^2.0.0',
  '@acme/logger': '^1.0.0',
  '@acme/http': '^3.0.0',
  '@acme/db': '^0.9.0',
  '@acme/config': '^1.0.0',
  '@acme/types': '^0.1.0',
  '@tools/retry': '^0.3.0',
  '@tools/cli': '^1.0.0',
  '@tools/build': '^2.0.0',
  '@tools/lint': '^5.0.0',
  '@tools/fmt': '^0.5.0',
  lodashy: '^4.17.0',
  colorish: '^2.0.0',
  semverish: '^7.6.0',
  debugish: '^4.3.0',
  msish: '^2.1.3',
  'qs-lite': '^6.11.0',
  uuidish: '^9.0.0',
  mimeish: '^1.52.0',
};

/** What npm must install, worked out by hand (two versions each of @acme/core, colorish and msish). */
const EXPECTED_INSTALLED = [
  '@acme/config@1.0.0',
  '@acme/core@1.2.0',
  '@acme/core@2.0.0', // nested below @acme/db, which wants ^2
  '@acme/db@0.9.0',
  '@acme/http@3.0.0',
  '@acme/logger@1.1.0',
  '@acme/types@0.1.0',
  '@acme/utils@2.1.0',
  '@tools/build@2.1.0',
  '@tools/cli@1.0.0',
  '@tools/fmt@0.5.0',
  '@tools/lint@5.0.0',
  '@tools/retry@0.3.1',
  'argparse-lite@1.0.3',
  'backoffish@2.0.1',
  'balanced-lite@1.0.2',
  'brace-lite@2.0.1',
  'colorish@1.4.0', // nested below @acme/logger, which wants ^1
  'colorish@2.1.0',
  'debugish@4.3.4',
  'dotish@16.4.5',
  'fast-globish@3.2.12',
  'globby-lite@3.0.0',
  'lodashy@4.17.21',
  'merge-lite@1.4.1',
  'mimeish@1.52.0',
  'minimatch-lite@5.1.0',
  'msish@2.1.2', // nested below debugish, which pins it
  'msish@2.1.3',
  'qs-lite@6.11.0',
  'semverish@7.6.3',
  'side-lite@1.0.4',
  'uuidish@9.0.1',
].sort();

/** For the cooldown tests: a fresh latest version, and a scoped package with a fresh one. */
const COOL: FakePackage = { name: 'cool-pkg', versions: [v('1.0.0', 30), v('1.1.0', 10), { version: '1.2.0', age: HOUR }], distTags: { latest: '1.2.0' } };
const COOL_SCOPED: FakePackage = { name: '@tools/fresh', versions: [v('0.1.0', 20), v('0.1.5', 8), { version: '0.2.0', age: 2 * HOUR }] };

function split(id: string): { name: string; version: string } {
  const at = id.lastIndexOf('@');
  return { name: id.slice(0, at), version: id.slice(at + 1) };
}

function tarballFile(name: string, version: string): string {
  return `${name}/-/${name.split('/').pop()}-${version}.tgz`;
}

/** Tarball requests the fake registry saw, by method, with percent-encoding undone. */
function tarballRequests(registry: FakeNpmRegistry, method?: string): string[] {
  return registry.requests.filter((r) => (method === undefined || r.method === method) && /\.tgz(\?|$)/.test(r.url)).map((r) => decodeURIComponent(r.url.split('?')[0]!.slice(1)));
}

/** Packument requests the fake registry saw, as decoded package names. */
function packumentRequests(registry: FakeNpmRegistry): string[] {
  return registry.requests.filter((r) => !/\.tgz(\?|$)/.test(r.url) && !r.url.startsWith('/-/')).map((r) => decodeURIComponent(r.url.split('?')[0]!.slice(1)));
}

function countBy(items: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** "node_modules/a/node_modules/@s/b" → "@s/b". */
function lockfileName(key: string): string {
  return key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

function lockedPackages(lockfile: Lockfile): string[] {
  return Object.entries(lockfile.packages)
    .filter(([key]) => key !== '')
    .map(([key, entry]) => `${lockfileName(key)}@${entry.version}`)
    .sort();
}

describe('the npm client through pkgproxy', () => {
  let registry: FakeNpmRegistry;
  /** No cooldown. */
  let proxy: RunningProxy;
  /** cooldown.ecosystems.npm = 3d. */
  let coolProxy: RunningProxy;
  const sandboxes: NpmSandbox[] = [];
  const proxies: RunningProxy[] = [];
  /** Written by the first test, used by the second. */
  let coldLockfile: Lockfile | undefined;

  const sandbox = (p: RunningProxy) => {
    const s = NpmSandbox.create(`${p.url}npm/`);
    sandboxes.push(s);
    return s;
  };

  beforeAll(async () => {
    registry = await new FakeNpmRegistry().start();
    for (const pkg of [...GRAPH, COOL, COOL_SCOPED]) await registry.publish(pkg);
    proxy = await startProxy({ upstreams: { npm: registry.url } });
    coolProxy = await startProxy({ upstreams: { npm: registry.url }, cooldown: { ecosystems: { npm: '3d' } } });
    proxies.push(proxy, coolProxy);
  });

  afterAll(async () => {
    for (const s of sandboxes) s.cleanup();
    for (const p of proxies) await p.close();
    await registry?.stop();
  });

  it('runs npm isolated from the machine configuration', async () => {
    const npm = sandbox(proxy);
    expect((await npm.ok(['config', 'get', 'registry'])).stdout.trim()).toBe(`${proxy.url}npm/`);
    expect((await npm.ok(['config', 'get', 'omit-lockfile-registry-resolved'])).stdout.trim()).toBe('false');
    expect((await npm.ok(['config', 'get', 'cache'])).stdout.trim()).toBe(npm.cache);
  });

  it('installs a graph of 30 packages (33 versions) cold, then warm from the proxy alone, with lockfile URLs on the proxy', async () => {
    const npm = sandbox(proxy);
    npm.newProject('project', { name: 'graph-app', version: '1.0.0', private: true, dependencies: ROOT_DEPENDENCIES });
    expect(tarballRequests(registry)).toEqual([]);

    // Cold: everything comes from the fake upstream through the proxy.
    await npm.ok(['install']);
    expect(installedPackages(npm.project)).toEqual(EXPECTED_INSTALLED);

    // The installed code is what the registry published: require() resolves every root
    // dependency, and the nested copies are found from their dependents.
    const req = createRequire(join(npm.project, 'package.json'));
    for (const [name, range] of Object.entries(ROOT_DEPENDENCIES)) {
      const candidates = EXPECTED_INSTALLED.filter((id) => split(id).name === name).map((id) => split(id).version);
      expect(req(name), name).toBe(`${name}@${semver.maxSatisfying(candidates, range)}`);
    }
    expect(req('colorish')).toBe('colorish@2.1.0');
    expect(createRequire(join(npm.project, 'node_modules/@acme/logger/index.js'))('colorish')).toBe('colorish@1.4.0');
    expect(createRequire(join(npm.project, 'node_modules/@acme/db/index.js'))('@acme/core')).toBe('@acme/core@2.0.0');
    expect(createRequire(join(npm.project, 'node_modules/debugish/index.js'))('msish')).toBe('msish@2.1.2');

    // Exactly one upstream tarball GET per installed version, and none for anything else.
    const expectedFiles = EXPECTED_INSTALLED.map((id) => tarballFile(split(id).name, split(id).version)).sort();
    const gets = countBy(tarballRequests(registry, 'GET'));
    expect([...gets.keys()].sort()).toEqual(expectedFiles);
    for (const file of expectedFiles) expect(gets.get(file), file).toBe(1);
    expect(tarballRequests(registry)).toHaveLength(EXPECTED_INSTALLED.length);
    // And one packument fetch per package in the graph (npm asks once, the proxy passes it on once).
    const neededPackages = [...new Set(EXPECTED_INSTALLED.map((id) => split(id).name))].sort();
    expect(packumentRequests(registry).sort()).toEqual(neededPackages);

    // The lockfile names the proxy for every package, with the upstream's integrity.
    const lockfile = readLockfile(npm.project);
    expect(lockedPackages(lockfile)).toEqual(EXPECTED_INSTALLED);
    for (const [key, entry] of Object.entries(lockfile.packages)) {
      if (key === '') continue;
      const name = lockfileName(key);
      expect(entry.resolved, key).toBe(`${proxy.url}npm/${tarballFile(name, entry.version!)}`);
      const dist = (registry.packument(name).versions as Record<string, { dist: { integrity: string } }>)[entry.version!]!.dist;
      expect(entry.integrity, key).toBe(dist.integrity);
    }
    coldLockfile = lockfile;

    // Warm: no node_modules, an empty npm cache; the proxy must serve every tarball itself.
    const tarballsBefore = tarballRequests(registry).length;
    const packumentsBefore = packumentRequests(registry).length;
    rmSync(join(npm.project, 'node_modules'), { recursive: true, force: true });
    npm.freshCache();
    await npm.ok(['ci']);
    expect(installedPackages(npm.project)).toEqual(EXPECTED_INSTALLED);
    expect(tarballRequests(registry).length).toBe(tarballsBefore);
    expect(createRequire(join(npm.project, 'package.json'))('@acme/http')).toBe('@acme/http@3.0.0');

    // And `npm install` with the lockfile present, warm as well.
    rmSync(join(npm.project, 'node_modules'), { recursive: true, force: true });
    npm.freshCache();
    await npm.ok(['install']);
    expect(installedPackages(npm.project)).toEqual(EXPECTED_INSTALLED);
    expect(tarballRequests(registry).length).toBe(tarballsBefore);
    expect(readLockfile(npm.project).packages).toEqual(lockfile.packages);
    // Metadata too was served from the proxy's cache (well inside metadata_ttl).
    expect(packumentRequests(registry).length).toBe(packumentsBefore);
  });

  it('npm ci with a lockfile naming registry.npmjs.org goes through a fresh proxy', async () => {
    expect(coldLockfile, 'the previous test must have produced a lockfile').toBeDefined();
    const fresh = await startProxy({ upstreams: { npm: registry.url } });
    proxies.push(fresh);
    const npm = sandbox(fresh);
    npm.newProject('project', { name: 'graph-app', version: '1.0.0', private: true, dependencies: ROOT_DEPENDENCIES });
    const publicLockfile = rewriteResolved(coldLockfile!, `${proxy.url}npm/`, 'https://registry.npmjs.org/');
    const resolved = Object.entries(publicLockfile.packages).filter(([key]) => key !== '').map(([, e]) => e.resolved);
    expect(resolved).toHaveLength(EXPECTED_INSTALLED.length);
    for (const url of resolved) expect(url).toMatch(/^https:\/\/registry\.npmjs\.org\/(@[a-z]+\/)?[a-z-]+\/-\/[a-z-]+-[0-9.]+\.tgz$/);
    writeLockfile(npm.project, publicLockfile);

    const before = countBy(tarballRequests(registry, 'GET'));
    await npm.ok(['ci']);
    expect(installedPackages(npm.project)).toEqual(EXPECTED_INSTALLED);
    expect(createRequire(join(npm.project, 'package.json'))('@tools/build')).toBe('@tools/build@2.1.0');

    // The fresh proxy had nothing cached: it fetched each tarball from the fake upstream once.
    const after = countBy(tarballRequests(registry, 'GET'));
    for (const id of EXPECTED_INSTALLED) {
      const file = tarballFile(split(id).name, split(id).version);
      expect((after.get(file) ?? 0) - (before.get(file) ?? 0), file).toBe(1);
    }
    expect(tarballRequests(registry, 'GET').length - [...before.values()].reduce((a, b) => a + b, 0)).toBe(EXPECTED_INSTALLED.length);
  });

  describe('cooldown (cooldown.ecosystems.npm = 3d)', () => {
    it('npm install <pkg> resolves the newest version outside the cooldown', async () => {
      const npm = sandbox(coolProxy);
      npm.newProject('project', { name: 'cool-app', version: '1.0.0', private: true });
      await npm.ok(['install', 'cool-pkg']);
      expect(installedPackages(npm.project)).toEqual(['cool-pkg@1.1.0']);
      expect(createRequire(join(npm.project, 'package.json'))('cool-pkg')).toBe('cool-pkg@1.1.0');
      const manifest = readFileSync(join(npm.project, 'package.json'), 'utf8');
      expect(JSON.parse(manifest).dependencies).toEqual({ 'cool-pkg': '^1.1.0' });
      expect(readLockfile(npm.project).packages['node_modules/cool-pkg']!.resolved).toBe(`${coolProxy.url}npm/cool-pkg/-/cool-pkg-1.1.0.tgz`);
      expect(tarballRequests(registry, 'GET')).not.toContain('cool-pkg/-/cool-pkg-1.2.0.tgz');
    });

    it('npm install <pkg>@<fresh version> fails and says why', async () => {
      const npm = sandbox(coolProxy);
      npm.newProject('project', { name: 'cool-app', version: '1.0.0', private: true });
      const result = await npm.run(['install', 'cool-pkg@1.2.0']);
      expect(result.code, result.output).not.toBe(0);
      expect(installedPackages(npm.project)).toEqual([]);
      expect(result.output).toContain('cool-pkg@1.2.0');
      // npm never asks for the tarball here: the packument hides 1.2.0, so npm can only say
      // ETARGET unless the proxy explains the refusal in the packument itself.
      expect(result.output, 'npm should be told why cool-pkg@1.2.0 is unavailable').toContain('cooldown.ecosystems.npm');
    });

    it('a lockfile pinning the fresh version cannot bypass the cooldown (npm ci gets the 403 reason)', async () => {
      // Made through the proxy without cooldown, where 1.2.0 is installable.
      const maker = sandbox(proxy);
      maker.newProject('project', { name: 'cool-app', version: '1.0.0', private: true });
      await maker.ok(['install', 'cool-pkg@1.2.0']);
      expect(installedPackages(maker.project)).toEqual(['cool-pkg@1.2.0']);
      const lockfile = readLockfile(maker.project);
      expect(lockfile.packages['node_modules/cool-pkg']!.resolved).toBe(`${proxy.url}npm/cool-pkg/-/cool-pkg-1.2.0.tgz`);

      // The same lockfile, naming the cooldown proxy or the public registry.
      for (const target of [`${coolProxy.url}npm/`, 'https://registry.npmjs.org/']) {
        const npm = sandbox(coolProxy);
        npm.newProject('project', { name: 'cool-app', version: '1.0.0', private: true, dependencies: { 'cool-pkg': '1.2.0' } });
        writeLockfile(npm.project, rewriteResolved(lockfile, `${proxy.url}npm/`, target));
        const result = await npm.run(['ci']);
        expect(result.code, result.output).not.toBe(0);
        expect(installedPackages(npm.project), target).toEqual([]);
        expect(result.output, target).toContain('403');
        expect(result.output, target).toContain('refused by policy');
        expect(result.output, target).toContain('cool-pkg@1.2.0');
        expect(result.output, target).toMatch(/published at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/);
        expect(result.output, target).toContain('cooldown.ecosystems.npm');
      }
    });
  });

  describe('npm view', () => {
    it('lists the versions of a scoped package', async () => {
      const npm = sandbox(proxy);
      const result = await npm.ok(['view', '@acme/core', 'versions', '--json']);
      expect(JSON.parse(result.stdout)).toEqual(['1.0.0', '1.2.0', '2.0.0']);
      const utils = await npm.ok(['view', '@acme/utils@2.1.0', 'dependencies', '--json']);
      expect(JSON.parse(utils.stdout)).toEqual({ '@acme/core': '^1.0.0', lodashy: '^4.17.0' });
    });

    it('shows dist-tags, with the cooldown moving latest off the fresh version', async () => {
      const open = sandbox(proxy);
      expect(JSON.parse((await open.ok(['view', 'cool-pkg', 'dist-tags', '--json'])).stdout)).toEqual({ latest: '1.2.0' });

      const cool = sandbox(coolProxy);
      const tags = await cool.ok(['view', 'cool-pkg', 'dist-tags']);
      expect(tags.stdout).toMatch(/latest:\s*'?1\.1\.0'?/);
      expect(tags.stdout).not.toContain('1.2.0');
      expect(JSON.parse((await cool.ok(['view', 'cool-pkg', 'dist-tags', '--json'])).stdout)).toEqual({ latest: '1.1.0' });
      expect(JSON.parse((await cool.ok(['view', 'cool-pkg', 'versions', '--json'])).stdout)).toEqual(['1.0.0', '1.1.0']);
      expect(JSON.parse((await cool.ok(['view', '@tools/fresh', 'versions', '--json'])).stdout)).toEqual(['0.1.0', '0.1.5']);
      expect(JSON.parse((await cool.ok(['view', '@tools/fresh', 'dist-tags', '--json'])).stdout)).toEqual({ latest: '0.1.5' });
    });
  });
});
