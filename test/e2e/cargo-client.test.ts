import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CargoSandbox, lockedCrates } from '../helpers/cargo-cli.js';
import { DAY, FakeCargoRegistry, HOUR } from '../helpers/cargo-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';

/**
 * The real cargo (cargo on PATH) fetching and building through pkgproxy from a fake sparse
 * registry that serves crates built by `cargo package`. Tests in this file run in order and
 * share the registry, the proxies and the projects.
 *
 * app-helper 1.1.0 (an hour old, pubtime in its index line) needs base-util ^1.1; base-util
 * 1.2.0 (two hours old) has no pubtime, only the web API dates it; both need core-bits.
 */

const MAIN_RS = 'fn main() {\n    println!("{}", app_helper::describe());\n}\n';
const DOWNLOAD = /\/download$|\.crate$/;

describe('cargo through pkgproxy', () => {
  const upstream = new FakeCargoRegistry();
  let open: RunningProxy;
  let cooled: RunningProxy;
  let machine: CargoSandbox;
  let cooledMachine: CargoSandbox;
  let project: string;

  beforeAll(async () => {
    await upstream.start();
    await upstream.publish({ name: 'core-bits', versions: [{ version: '0.3.0', age: 400 * DAY }, { version: '0.3.1', age: 30 * DAY }] });
    await upstream.publish({
      name: 'base-util',
      versions: [
        { version: '1.0.0', age: 300 * DAY, dependencies: { 'core-bits': '0.3' } },
        { version: '1.1.0', age: 100 * DAY, dependencies: { 'core-bits': '0.3' }, dated: 'api' },
        { version: '1.2.0', age: 2 * HOUR, dependencies: { 'core-bits': '0.3.1' }, dated: 'api' },
      ],
    });
    await upstream.publish({
      name: 'app-helper',
      versions: [
        { version: '1.0.0', age: 60 * DAY, dependencies: { 'base-util': '1.0' } },
        { version: '1.1.0', age: HOUR, dependencies: { 'base-util': '1.1' } },
      ],
    });
    open = await startProxy({ upstreams: { cargo: upstream.url } });
    cooled = await startProxy({ upstreams: { cargo: upstream.url }, cooldown: { ecosystems: { cargo: '3d' } } });
    machine = new CargoSandbox(`sparse+${open.url}cargo/`);
    cooledMachine = new CargoSandbox(`sparse+${cooled.url}cargo/`);
  });
  afterAll(async () => {
    machine?.cleanup();
    cooledMachine?.cleanup();
    await open?.close();
    await cooled?.close();
    await upstream.stop();
  });

  it('cold: resolves, downloads and builds a crate with its dependencies through the proxy', async () => {
    project = machine.newProject('demo', { 'app-helper': '1' }, MAIN_RS);
    await machine.ok(['generate-lockfile'], project);
    expect(lockedCrates(project)).toEqual(['app-helper@1.1.0', 'base-util@1.2.0', 'core-bits@0.3.1']);

    const run = await machine.ok(['run', '--quiet'], project);
    expect(run.stdout.trim()).toBe('app-helper 1.1.0 (base-util 1.2.0 (core-bits 0.3.1))');
    // Each crate came from upstream once, through crates.io's redirect, into cargo's cache intact.
    expect(upstream.count(/^\/crates\/.+\/download$/)).toBe(3);
    expect(upstream.count(/\.crate$/)).toBe(3);
    expect(readFileSync(cachedCrate(machine.home, 'app-helper-1.1.0.crate')).equals(upstream.crateBytes('app-helper', '1.1.0'))).toBe(true);
  });

  it('warm: a fresh CARGO_HOME gets every crate from the proxy, none from upstream', async () => {
    const before = upstream.requests.length;
    machine.freshHome();
    const fetched = await machine.ok(['fetch', '--locked'], project);
    expect(fetched.stderr).toMatch(/Downloaded app-helper v1\.1\.0/);
    for (const file of ['app-helper-1.1.0.crate', 'base-util-1.2.0.crate', 'core-bits-0.3.1.crate']) expect(existsSync(cachedCrate(machine.home, file)), file).toBe(true);
    const upstreamSince = upstream.requests.slice(before).map((r) => r.url);
    expect(upstreamSince.filter((url) => DOWNLOAD.test(url))).toEqual([]);
    // The index files were fresh in the proxy's cache too.
    expect(upstreamSince).toEqual([]);
  });

  it('cooldown: fresh versions are hidden, so cargo picks the older ones', async () => {
    const cooledProject = cooledMachine.newProject('demo-cooled', { 'app-helper': '1' }, MAIN_RS);
    await cooledMachine.ok(['generate-lockfile'], cooledProject);
    // app-helper 1.1.0 hidden by its pubtime, base-util 1.2.0 by the API's created_at.
    expect(lockedCrates(cooledProject)).toEqual(['app-helper@1.0.0', 'base-util@1.1.0', 'core-bits@0.3.1']);
    const run = await cooledMachine.ok(['run', '--quiet'], cooledProject);
    expect(run.stdout.trim()).toBe('app-helper 1.0.0 (base-util 1.1.0 (core-bits 0.3.1))');
  });

  it('cooldown: a lockfile naming a hidden version does not get it, until cargo update picks a visible one', async () => {
    const pinned = cooledMachine.newProject('demo-pinned', { 'app-helper': '1' }, MAIN_RS);
    copyFileSync(join(project, 'Cargo.lock'), join(pinned, 'Cargo.lock'));
    const result = await cooledMachine.run(['fetch'], pinned);
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toMatch(/app-helper = "\^1"` \(locked to 1\.1\.0\)\s+candidate versions found which didn't match: 1\.0\.0/);
    expect(existsSync(cachedCrate(cooledMachine.home, 'app-helper-1.1.0.crate'))).toBe(false);
    const stored = await cooled.ctx.db.selectFrom('artifacts').select('blob_sha256').where('path', '=', 'api/v1/crates/app-helper/1.1.0/download').executeTakeFirst();
    expect(stored?.blob_sha256 ?? null).toBeNull();

    await cooledMachine.ok(['update', '-p', 'app-helper'], pinned);
    expect(lockedCrates(pinned)).toEqual(['app-helper@1.0.0', 'base-util@1.1.0', 'core-bits@0.3.1']);
    await cooledMachine.ok(['fetch', '--locked'], pinned);
  });

  it('cooldown: a direct download of a hidden version is refused with 403 and the reason', async () => {
    const before = upstream.requests.length;
    const helper = await fetch(`${cooled.url}cargo/api/v1/crates/app-helper/1.1.0/download`);
    expect(helper.status).toBe(403);
    const { errors } = (await helper.json()) as { errors: Array<{ detail: string }> };
    expect(errors[0]!.detail).toMatch(
      /^refused by policy: app-helper@1\.1\.0 was published at \d{4}-\d\d-\d\dT[\d:.]+Z, inside the 3d cooldown set by cooldown\.ecosystems\.cargo; it becomes available at /,
    );
    const base = await fetch(`${cooled.url}cargo/api/v1/crates/base-util/1.2.0/download`);
    expect(base.status).toBe(403);
    expect(await base.text()).toContain('base-util@1.2.0 was published at');
    expect(upstream.requests.slice(before).filter((r) => DOWNLOAD.test(r.url))).toEqual([]);
  });
});

/** A downloaded .crate in cargo's cache: CARGO_HOME/registry/cache/<registry dir>/<file>. */
function cachedCrate(cargoHome: string, file: string): string {
  const cache = join(cargoHome, 'registry', 'cache');
  const [registryDir] = existsSync(cache) ? readdirSync(cache) : [];
  return join(cache, registryDir ?? 'none', file);
}
