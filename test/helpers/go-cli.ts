import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the real go command (the `go` on PATH) in isolation: no go env file (GOENV=off), a
 * temporary HOME, GOPATH, module cache and build cache, no GO* or proxy variables from the
 * machine, and GOPROXY set to one proxy with no "direct" fallback, so that everything the
 * go command gets comes through it.
 */

export interface GoResult {
  /** Exit code; null when go was killed (timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  output: string;
  command: string;
}

const TIMEOUT_MS = 60_000;

export class GoSandbox {
  readonly root: string;
  private cacheGeneration = 0;
  private gopath = '';

  private constructor(private readonly goproxy: string) {
    this.root = mkdtempSync(join(tmpdir(), 'pkgproxy-go-'));
    this.freshCaches();
  }

  /** goproxy: the GOPROXY URL, e.g. `${proxy.url}go`. */
  static create(goproxy: string): GoSandbox {
    return new GoSandbox(goproxy);
  }

  /** A new, empty GOPATH (module cache and build cache inside), as on a machine that never built anything. */
  freshCaches(): void {
    if (this.gopath) rmSync(this.gopath, { recursive: true, force: true });
    this.gopath = join(this.root, `gopath-${this.cacheGeneration++}`);
    mkdirSync(this.gopath);
  }

  /** A main module in a new directory: go.mod requiring `requires`, and main.go. */
  newProject(name: string, requires: Record<string, string>, mainGo: string): string {
    const dir = join(this.root, name);
    mkdirSync(dir);
    const lines = Object.entries(requires).map(([path, version]) => `\t${path} ${version}\n`);
    writeFileSync(join(dir, 'go.mod'), `module example.com/${name}\n\ngo 1.19\n${lines.length > 0 ? `\nrequire (\n${lines.join('')})\n` : ''}`);
    writeFileSync(join(dir, 'main.go'), mainGo);
    return dir;
  }

  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (key.startsWith('GO') || key.startsWith('CGO_') || /^(https?|all|no)_proxy$/i.test(key)) continue;
      env[key] = value;
    }
    return {
      ...env,
      HOME: this.root,
      GOENV: 'off',
      GOPATH: this.gopath,
      GOMODCACHE: join(this.gopath, 'pkg', 'mod'),
      GOCACHE: join(this.gopath, 'cache'),
      GOPROXY: this.goproxy,
      // The fake upstream cannot sign a checksum database; go.sum is still written and checked.
      GOSUMDB: 'off',
      GOFLAGS: '-mod=mod',
      GO111MODULE: 'on',
      GOTOOLCHAIN: 'local',
      CGO_ENABLED: '0',
    };
  }

  run(args: string[], cwd: string): Promise<GoResult> {
    const command = `go ${args.join(' ')}`;
    return new Promise((resolve) => {
      execFile('go', args, { cwd, env: this.env(), timeout: TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        let code: number | null = 0;
        if (error) {
          const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
          code = typeof e.code === 'number' ? e.code : null;
          if (e.killed) stderr += `\n[go-cli helper] killed after ${TIMEOUT_MS} ms`;
        }
        resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}`, command });
      });
    });
  }

  /** Runs go and throws with its output unless it exits 0. */
  async ok(args: string[], cwd: string): Promise<GoResult> {
    const result = await this.run(args, cwd);
    if (result.code !== 0) throw new Error(`${result.command} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    return result;
  }

  cleanup(): void {
    // The module cache is read-only on disk, as the go command leaves it.
    execFileSync('chmod', ['-R', 'u+w', this.root]);
    rmSync(this.root, { recursive: true, force: true });
  }
}
