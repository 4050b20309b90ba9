import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeNpmRegistry } from '../helpers/fake-npm-registry.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../dist/services/cli/main.js');

/** Runs the compiled CLI, as `npx pkgproxy` and `npm start` do; exit code and output. */
async function pkgproxy(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pkgproxy CLI (compiled)', () => {
  const upstream = new FakeNpmRegistry();
  let dataDir: string;

  beforeAll(async () => {
    await upstream.start();
    await upstream.publish({ name: 'cli-pkg', versions: [{ version: '1.0.0', age: 10 * DAY }] });
    dataDir = mkdtempSync(join(tmpdir(), 'pkgproxy-cli-'));
  });
  afterAll(async () => {
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('config check prints every problem with its path and exits 1', async () => {
    const file = join(dataDir, 'bad.yaml');
    writeFileSync(file, 'cooldown:\n  default: soon\nlisten: "x:y"\n');
    const result = await pkgproxy(['config', 'check', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('configuration has 2 problems');
    expect(result.stderr).toContain(`cooldown.default: invalid duration "soon"`);
    expect(result.stderr).toContain(`listen: invalid listen address "x:y"`);
  });

  it('config check accepts a valid file and shows the effective settings', async () => {
    const file = join(dataDir, 'good.yaml');
    writeFileSync(file, 'cooldown:\n  ecosystems:\n    npm: 3d\n');
    const result = await pkgproxy(['config', 'check', '--config', file], { PROXY_LISTEN: '9999' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('configuration is valid');
    expect(result.stdout).toMatch(/port: 9999/);
    expect(result.stdout).toMatch(/npm: 259200000/);
  });

  it('rejects an unknown command with usage', async () => {
    const result = await pkgproxy(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('usage: pkgproxy');
  });

  it('serves from env configuration, shuts down on SIGTERM, and stats report what was cached', async () => {
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { PATH: process.env.PATH, PROXY_LISTEN: '127.0.0.1:0', PROXY_DATA_DIR: dataDir, PROXY_UPSTREAM_NPM: upstream.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /pkgproxy listening on (http:\/\/[\d.:]+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
    });
    try {
      expect(await (await fetch(`${address}/health`)).json()).toEqual({ status: 'ok' });
      const packument = (await (await fetch(`${address}/npm/cli-pkg`)).json()) as { versions: Record<string, { dist: { tarball: string } }> };
      const tarball = await fetch(packument.versions['1.0.0']!.dist.tarball);
      expect(Buffer.from(await tarball.arrayBuffer()).equals(upstream.tarballBytes('cli-pkg', '1.0.0'))).toBe(true);
      // Request logs are JSON lines when stdout is not a terminal.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const logLine = output.split('\n').find((l) => l.includes('"url":"/npm/cli-pkg"'));
      expect(JSON.parse(logLine!)).toMatchObject({ status: 200, ecosystem: 'npm', kind: 'metadata' });
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }

    const stats = await pkgproxy(['stats', '--json'], { PROXY_DATA_DIR: dataDir });
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout).ecosystems).toEqual([
      { ecosystem: 'npm', packages: 1, versions: 1, artifacts: 1, bytes: upstream.tarballBytes('cli-pkg', '1.0.0').length, hits: 1, refusals: 0 },
    ]);
    const table = await pkgproxy(['stats'], { PROXY_DATA_DIR: dataDir });
    expect(table.stdout).toMatch(/^ecosystem\s+packages\s+versions\s+artifacts\s+bytes\s+hits\s+refusals\nnpm\s+1\s+1\s+1\s+[\d.]+ (B|KB)\s+1\s+0\n$/);
  });
});
