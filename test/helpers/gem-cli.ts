import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rubyEnv } from './gem-build.js';

/**
 * Runs the real gem and bundle commands in isolation: a home directory of their own (no
 * ~/.gemrc, ~/.gem, ~/.bundle or ~/.local/share/gem of the machine), an empty gem
 * configuration file, no GEM_* / BUNDLE_* / RUBY* variables from the environment, and a
 * "machine" whose gem home, spec cache and Bundler caches can be swapped for empty ones.
 */

export interface GemResult {
  code: number | null;
  output: string;
  command: string;
}

const TIMEOUT_MS = 60_000;

export class GemSandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'pkgproxy-gem-'));
  private generation = 0;
  private machine = '';

  constructor() {
    this.freshMachine();
  }

  /** Empty gem home, spec cache, Bundler cache and install path: nothing fetched before is left. */
  freshMachine(): void {
    if (this.machine) rmSync(this.machine, { recursive: true, force: true });
    this.machine = join(this.root, `machine-${this.generation++}`);
    for (const dir of ['home', 'gem-home', 'spec-cache', 'bundle-cache', 'bundle-path']) mkdirSync(join(this.machine, dir), { recursive: true });
    writeFileSync(join(this.machine, 'gemrc'), '--- {}\n');
  }

  /** The gem home `gem install` installs into. */
  get gemHome(): string {
    return join(this.machine, 'gem-home');
  }

  get bundlePath(): string {
    return join(this.machine, 'bundle-path');
  }

  /** A project directory holding this Gemfile. */
  project(name: string, gemfile: string): string {
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Gemfile'), gemfile);
    return dir;
  }

  /** `gem <command> …` with the empty configuration file and no documentation to generate. */
  gem(args: string[]): Promise<GemResult> {
    return this.run('gem', [...args, '--config-file', join(this.machine, 'gemrc')], this.root);
  }

  bundle(args: string[], project: string, extraEnv: Record<string, string> = {}): Promise<GemResult> {
    return this.run('bundle', args, project, extraEnv);
  }

  /** Gems in the gem home, or in Bundler's install path, as "name-version". */
  installed(where: 'gem' | 'bundle'): string[] {
    const base = where === 'gem' ? this.gemHome : join(this.bundlePath, 'ruby');
    const specs = where === 'gem' ? join(base, 'specifications') : join(base, readdirSync(base)[0] ?? '', 'specifications');
    if (!existsSync(specs)) return [];
    return readdirSync(specs)
      .map((file) => file.replace(/\.gemspec$/, ''))
      .sort();
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    const home = join(this.machine, 'home');
    return {
      ...rubyEnv(home),
      GEM_HOME: this.gemHome,
      GEM_PATH: this.gemHome,
      GEM_SPEC_CACHE: join(this.machine, 'spec-cache'),
      BUNDLE_USER_HOME: join(home, '.bundle'),
      BUNDLE_USER_CACHE: join(this.machine, 'bundle-cache'),
      BUNDLE_PATH: this.bundlePath,
      BUNDLE_SILENCE_ROOT_WARNING: '1',
      BUNDLE_DISABLE_SHARED_GEMS: 'true',
      ...extra,
    };
  }

  private run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<GemResult> {
    const line = `${command} ${args.join(' ')}`;
    return new Promise((resolve) => {
      execFile(command, args, { cwd, env: this.env(extraEnv), timeout: TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        const code = !e ? 0 : typeof e.code === 'number' ? e.code : null;
        const note = e?.killed ? `\n[gem-cli helper] killed after ${TIMEOUT_MS} ms` : '';
        resolve({ code, output: `${stdout}\n${stderr}${note}`, command: line });
      });
    });
  }
}

/** Throws with the command's output unless it exited 0. */
export function ok(result: GemResult): GemResult {
  if (result.code !== 0) throw new Error(`${result.command} exited ${result.code}\n${result.output}`);
  return result;
}

export function readLockfile(project: string): string {
  return readFileSync(join(project, 'Gemfile.lock'), 'utf8');
}
