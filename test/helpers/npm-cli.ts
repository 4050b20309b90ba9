import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the real npm client (the `npm` on PATH) in isolation: its own user config (registry,
 * no inherited omit-lockfile-registry-resolved), an empty global config, a fresh cache
 * directory, and an environment without npm_config_* variables.
 */

export interface NpmResult {
  /** Exit code; null when npm was killed (timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertions on messages. */
  output: string;
  /** The command line, for failure messages. */
  command: string;
}

export interface NpmRunOptions {
  /** Working directory; defaults to the sandbox's project directory. */
  cwd?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 90_000;

/** process.env without npm_config_* (any case) and other variables that would steer npm. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_config_')) continue;
    if (lower.startsWith('npm_package_') || lower.startsWith('npm_lifecycle_')) continue;
    if (lower === 'http_proxy' || lower === 'https_proxy' || lower === 'all_proxy' || lower === 'no_proxy') continue;
    if (key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  env.NO_UPDATE_NOTIFIER = '1';
  env.NO_COLOR = '1';
  return env;
}

/** A temporary home for one npm "machine": config files, a cache, and project directories. */
export class NpmSandbox {
  readonly root: string;
  readonly userconfig: string;
  readonly globalconfig: string;
  /** The default project directory. */
  readonly project: string;
  cache: string;
  private cacheGeneration = 0;

  private constructor(
    public registry: string,
    private readonly extraConfig: Record<string, string>,
  ) {
    this.root = mkdtempSync(join(tmpdir(), 'pkgproxy-npm-'));
    this.userconfig = join(this.root, 'userconfig.npmrc');
    this.globalconfig = join(this.root, 'globalconfig.npmrc');
    writeFileSync(this.globalconfig, '');
    this.project = this.newProject('project');
    this.cache = '';
    this.freshCache();
    this.writeConfig();
  }

  /** registry: the npm registry URL, e.g. `${proxy.url}npm/`. */
  static create(registry: string, extraConfig: Record<string, string> = {}): NpmSandbox {
    return new NpmSandbox(registry, extraConfig);
  }

  setRegistry(registry: string): void {
    this.registry = registry;
    this.writeConfig();
  }

  /** Points npm at a new, empty cache directory (the old one is removed). */
  freshCache(): string {
    if (this.cache) rmSync(this.cache, { recursive: true, force: true });
    this.cache = join(this.root, `cache-${this.cacheGeneration++}`);
    mkdirSync(this.cache);
    return this.cache;
  }

  /** A new empty directory below the sandbox, optionally with a package.json. */
  newProject(name: string, packageJson?: Record<string, unknown>): string {
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    if (packageJson) writeFileSync(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
    return dir;
  }

  async run(args: string[], options: NpmRunOptions = {}): Promise<NpmResult> {
    const full = [
      ...args,
      '--userconfig',
      this.userconfig,
      '--globalconfig',
      this.globalconfig,
      '--cache',
      this.cache,
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
    ];
    return runNpm(full, { cwd: options.cwd ?? this.project, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  }

  /** Runs npm and throws with its output unless it exits 0. */
  async ok(args: string[], options: NpmRunOptions = {}): Promise<NpmResult> {
    const result = await this.run(args, options);
    if (result.code !== 0) throw new Error(`${result.command} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    return result;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private writeConfig(): void {
    const config: Record<string, string> = {
      registry: this.registry,
      // The machine's own npmrc omits resolved URLs; these tests need them in lockfiles.
      'omit-lockfile-registry-resolved': 'false',
      audit: 'false',
      fund: 'false',
      'update-notifier': 'false',
      'ignore-scripts': 'true',
      // Failures should surface at once, not after npm's back-off (and retries could hide flakiness).
      'fetch-retries': '0',
      'fetch-timeout': '60000',
      noproxy: '127.0.0.1,localhost',
      progress: 'false',
      color: 'false',
      loglevel: 'warn',
      ...this.extraConfig,
    };
    writeFileSync(this.userconfig, `${Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  }
}

export function runNpm(args: string[], options: { cwd: string; timeoutMs?: number }): Promise<NpmResult> {
  const command = `npm ${args.join(' ')}`;
  return new Promise((resolve) => {
    execFile(
      'npm',
      args,
      { cwd: options.cwd, env: cleanEnv(), timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        let code: number | null = 0;
        if (error) {
          const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
          code = typeof e.code === 'number' ? e.code : null;
          if (e.killed) stderr += `\n[npm-cli helper] killed after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`;
          else if (typeof e.code === 'string') stderr += `\n[npm-cli helper] could not run npm: ${e.message}`;
        }
        resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}`, command });
      },
    );
  });
}

/** Every installed package below node_modules (nested ones too) as "name@version", sorted. */
export function installedPackages(projectDir: string): string[] {
  const found: string[] = [];
  const walk = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return;
    for (const entry of readdirSync(nodeModules)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(join(nodeModules, entry))) visit(join(nodeModules, entry, scoped));
      } else {
        visit(join(nodeModules, entry));
      }
    }
  };
  const visit = (dir: string) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
    found.push(`${manifest.name}@${manifest.version}`);
    walk(join(dir, 'node_modules'));
  };
  walk(join(projectDir, 'node_modules'));
  return found.sort();
}

export interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, { version?: string; resolved?: string; integrity?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

export function readLockfile(projectDir: string): Lockfile {
  return JSON.parse(readFileSync(join(projectDir, 'package-lock.json'), 'utf8')) as Lockfile;
}

export function writeLockfile(projectDir: string, lockfile: Lockfile): void {
  writeFileSync(join(projectDir, 'package-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`);
}

/** A copy of the lockfile with every resolved URL starting with `from` rewritten to start with `to`. */
export function rewriteResolved(lockfile: Lockfile, from: string, to: string): Lockfile {
  const copy = structuredClone(lockfile);
  for (const entry of Object.values(copy.packages)) {
    if (typeof entry.resolved === 'string' && entry.resolved.startsWith(from)) entry.resolved = to + entry.resolved.slice(from.length);
  }
  return copy;
}
