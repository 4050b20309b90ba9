import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedDistributions, PipSandbox, runPip } from '../helpers/pypi-cli.js';
import { DAY, FakePypi, HOUR } from '../helpers/pypi-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';

/**
 * The real pip (python3 -m pip) installing through pkgproxy from a fake index that serves
 * wheels built by setuptools. Tests run in order and share the index and the proxies.
 */

// Names spelled the way authors do; pip and the proxy normalize them.
const PROJECTS = [
  { name: 'PkgProxy_Demo.App', releases: [{ version: '1.0', age: 100 * DAY, requires: ['Demo.Lib>=1.0'] }] },
  {
    name: 'Demo.Lib',
    releases: [
      { version: '1.0', age: 60 * DAY, requires: ['demo_util'] },
      { version: '1.5', age: 30 * DAY, requires: ['Demo-Util>=0.5'] },
      { version: '2.0', age: HOUR, requires: ['Demo-Util>=0.5'] },
    ],
  },
  { name: 'Demo_Util', releases: [{ version: '0.5', age: 90 * DAY }] },
];

describe('pip through pkgproxy', () => {
  const upstream = new FakePypi('pypi');
  let open: RunningProxy;
  let cooled: RunningProxy;
  let pip: PipSandbox;
  let wheels: string[];

  beforeAll(async () => {
    await upstream.start();
    await Promise.all(PROJECTS.map((p) => upstream.publish(p)));
    open = await startProxy({ upstreams: { pypi: upstream.url } });
    cooled = await startProxy({ upstreams: { pypi: upstream.url }, cooldown: { ecosystems: { pypi: '3d' } } });
    pip = new PipSandbox(`${open.url}pypi/simple/`);
    wheels = [upstream.file('pkgproxy-demo-app', '1.0', '.whl'), upstream.file('demo-lib', '2.0', '.whl'), upstream.file('demo-util', '0.5', '.whl')].map((f) => f.filename).sort();
  });
  afterAll(async () => {
    pip?.cleanup();
    await open?.close();
    await cooled?.close();
    await upstream.stop();
  });

  it('runs pip without the machine configuration', async () => {
    const config = await runPip(['config', 'list']);
    expect(config.code).toBe(0);
    // Only the variable that turns the files off: no index-url, extra-index-url or find-links.
    expect(config.stdout.trim()).toBe(":env:.config-file='/dev/null'");
  });

  it('installs a project with its dependencies cold, every file through the proxy', async () => {
    const cold = await pip.installOk(['pkgproxy-demo-app']);
    expect(installedDistributions(cold.target)).toEqual(['demo-lib==2.0', 'demo-util==0.5', 'pkgproxy-demo-app==1.0']);
    expect(cold.output).toContain(`Looking in indexes: ${open.url}pypi/simple/`);
    expect(cold.output).not.toContain('Looking in links');
    expect(upstream.fileDownloads().sort()).toEqual(wheels);
    // pip 23.2+ reads dependencies from PEP 658 .metadata files before it downloads wheels.
    const downloaded = [...cold.output.matchAll(/Downloading (\S+)/g)].map((m) => m[1]!);
    expect(downloaded.every((url) => url.startsWith(`${open.url}pypi/files/`))).toBe(true);
    const files = downloaded.map((url) => decodeURIComponent(url.split('/').pop()!));
    expect(files.filter((f) => !f.endsWith('.metadata')).sort()).toEqual(wheels);
    expect(upstream.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('installs again with a fresh pip cache from the proxy alone', async () => {
    const before = upstream.requests.length;
    const warm = await pip.installOk(['pkgproxy-demo-app']);
    expect(installedDistributions(warm.target)).toEqual(['demo-lib==2.0', 'demo-util==0.5', 'pkgproxy-demo-app==1.0']);
    expect(warm.output).toContain(`Downloading ${open.url}pypi/files/demo-lib/`);
    expect(upstream.requests.slice(before)).toEqual([]);
  });

  describe('with a 3 day cooldown', () => {
    let cooledPip: PipSandbox;
    beforeAll(() => {
      cooledPip = new PipSandbox(`${cooled.url}pypi/simple/`);
    });
    afterAll(() => cooledPip?.cleanup());

    it('picks the newest version outside the cooldown', async () => {
      const result = await cooledPip.installOk(['pkgproxy-demo-app']);
      expect(installedDistributions(result.target)).toEqual(['demo-lib==1.5', 'demo-util==0.5', 'pkgproxy-demo-app==1.0']);
    });

    it('does not find the fresh version when asked for it', async () => {
      const result = await cooledPip.install(['demo-lib==2.0']);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/No matching distribution found for demo-lib==2\.0/);
      expect(result.output).toMatch(/from versions: 1\.0, 1\.5\)/);
    });

    it('refuses a direct download of the fresh version with 403 and the reason, which pip prints', async () => {
      const wheel = upstream.file('demo-lib', '2.0', '.whl');
      const url = `${cooled.url}pypi/files/demo-lib/${encodeURIComponent(wheel.filename)}`;
      const refused = await fetch(url);
      expect(refused.status).toBe(403);
      const reason = (await refused.text()).trim();
      expect(reason).toMatch(/^refused by policy: demo-lib@2\.0 was published at \S+Z, inside the 3d cooldown set by cooldown\.ecosystems\.pypi; it becomes available at \S+Z$/);

      const direct = await cooledPip.install([url]);
      expect(direct.code).not.toBe(0);
      expect(direct.output).toContain(`403 Client Error: ${reason} for url: ${url}`);
    });
  });
});
