import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the real pip (`python3 -m pip`) in isolation: no configuration file (PIP_CONFIG_FILE
 * set to /dev/null skips the global, user and site files, where machines keep an
 * extra-index-url or find-links), no PIP_* variables, --isolated on top, a fresh cache
 * directory and a fresh --target directory for every install.
 */

export interface PipResult {
  /** Exit code; null when pip was killed (timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertions on messages. */
  output: string;
  command: string;
}

const TIMEOUT_MS = 90_000;
const PYTHON = 'python3';

/** process.env without what steers pip or Python: PIP_*, PYTHON*, proxies. */
export function pipEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const upper = key.toUpperCase();
    if (upper.startsWith('PIP_') || upper.startsWith('PYTHON') || /^(HTTPS?|ALL|NO)_PROXY$/.test(upper)) continue;
    env[key] = value;
  }
  env.PIP_CONFIG_FILE = '/dev/null';
  env.PYTHONDONTWRITEBYTECODE = '1';
  return env;
}

export function runPip(args: string[], timeoutMs = TIMEOUT_MS): Promise<PipResult> {
  const full = ['-m', 'pip', ...args];
  const command = `${PYTHON} ${full.join(' ')}`;
  return new Promise((resolve) => {
    execFile(PYTHON, full, { env: pipEnv(), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      let code: number | null = 0;
      if (error) {
        const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        code = typeof e.code === 'number' ? e.code : null;
        if (e.killed) stderr += `\n[pypi-cli helper] killed after ${timeoutMs} ms`;
        else if (typeof e.code === 'string') stderr += `\n[pypi-cli helper] could not run ${PYTHON}: ${e.message}`;
      }
      resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}`, command });
    });
  });
}

/** One pip "machine": an index URL, and fresh cache and target directories on demand. */
export class PipSandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'pkgproxy-pip-'));
  private generation = 0;

  constructor(public indexUrl: string) {}

  /** `pip install` with a fresh cache into a fresh --target; returns the result and the target. */
  async install(requirements: string[]): Promise<PipResult & { target: string }> {
    const run = this.generation++;
    const target = join(this.root, `target-${run}`);
    const cache = join(this.root, `cache-${run}`);
    mkdirSync(cache);
    const result = await runPip([
      'install',
      '--isolated',
      '--disable-pip-version-check',
      '--no-input',
      '--progress-bar',
      'off',
      // Failures should surface at once, not after pip's back-off.
      '--retries',
      '0',
      '--timeout',
      '60',
      '--index-url',
      this.indexUrl,
      '--cache-dir',
      cache,
      '--target',
      target,
      ...requirements,
    ]);
    return { ...result, target };
  }

  /** Like install, but throws with pip's output unless it exits 0. */
  async installOk(requirements: string[]): Promise<PipResult & { target: string }> {
    const result = await this.install(requirements);
    if (result.code !== 0) throw new Error(`${result.command} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    return result;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** What pip installed into a --target directory, as "normalized-name==version", sorted. */
export function installedDistributions(target: string): string[] {
  return readdirSync(target)
    .filter((entry) => entry.endsWith('.dist-info'))
    .map((entry) => {
      const [name, version] = entry.slice(0, -'.dist-info'.length).split('-');
      return `${name!.replace(/[-_.]+/g, '-').toLowerCase()}==${version}`;
    })
    .sort();
}
