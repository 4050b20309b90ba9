import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedPackages, NpmSandbox, readLockfile } from '../helpers/npm-cli.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';

/**
 * The real npm client through pkgproxy against the real https://registry.npmjs.org/.
 * Needs the network; runs only with PROXY_LIVE_TESTS=1.
 */
describe.runIf(process.env.PROXY_LIVE_TESTS === '1')('npm through pkgproxy against registry.npmjs.org (live)', () => {
  let proxy: RunningProxy;
  let npm: NpmSandbox;
  /** Every URL the proxy asked the upstream for. */
  const upstreamUrls: string[] = [];

  beforeAll(async () => {
    proxy = await startProxy({ upstreams: { npm: 'https://registry.npmjs.org/' } });
    // Count what the proxy fetches upstream (instrumentation only: the call goes through unchanged).
    const upstream = proxy.ctx.upstream;
    const fetch = upstream.fetch.bind(upstream);
    upstream.fetch = (ecosystem, urls, init) => {
      upstreamUrls.push(...urls.slice(0, 1));
      return fetch(ecosystem, urls, init);
    };
    npm = NpmSandbox.create(`${proxy.url}npm/`);
  });

  afterAll(async () => {
    npm?.cleanup();
    await proxy?.close();
  });

  it('installs chalk@4 and its dependencies cold, then warm from the proxy cache', async () => {
    npm.newProject('project', { name: 'live-app', version: '1.0.0', private: true });
    await npm.ok(['install', 'chalk@4']);
    const installed = installedPackages(npm.project);
    const names = installed.map((id) => id.slice(0, id.lastIndexOf('@')));
    expect(names).toEqual(expect.arrayContaining(['chalk', 'ansi-styles', 'supports-color', 'has-flag', 'color-convert', 'color-name']));
    expect(installed.find((id) => id.startsWith('chalk@'))).toMatch(/^chalk@4\./);
    const chalk = createRequire(join(npm.project, 'package.json'))('chalk') as { red: (s: string) => string };
    expect(typeof chalk.red('x')).toBe('string');

    const lockfile = readLockfile(npm.project);
    const entries = Object.entries(lockfile.packages).filter(([key]) => key !== '');
    expect(entries).toHaveLength(installed.length);
    for (const [key, entry] of entries) expect(entry.resolved, key).toMatch(new RegExp(`^${proxy.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}npm/.+\\.tgz$`));

    const tarballs = upstreamUrls.filter((u) => u.endsWith('.tgz'));
    expect(tarballs).toHaveLength(installed.length);

    // Warm: no node_modules, empty npm cache; nothing more from upstream.
    const before = upstreamUrls.length;
    rmSync(join(npm.project, 'node_modules'), { recursive: true, force: true });
    npm.freshCache();
    await npm.ok(['ci']);
    expect(installedPackages(npm.project)).toEqual(installed);
    expect(upstreamUrls.slice(before)).toEqual([]);
  });
});
