import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Runs the real cargo (the one on PATH) in isolation: a CARGO_HOME of its own whose
 * config.toml replaces crates.io with one sparse registry, an environment without CARGO_*
 * or proxy variables, and project directories below a fresh temporary root (so that no
 * .cargo/config.toml of the machine's sits above them).
 */

export interface CargoResult {
  /** Exit code; null when cargo was killed (timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertions on messages. */
  output: string;
  command: string;
}

export interface CrateManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 90_000;

/** process.env without variables that would steer cargo or rustc away from the sandbox. */
export function cleanCargoEnv(cargoHome: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const upper = key.toUpperCase();
    if (upper.startsWith('CARGO_') || upper.startsWith('RUSTC_') || upper === 'RUSTFLAGS' || upper === 'RUSTDOCFLAGS') continue;
    if (['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY'].includes(upper)) continue;
    env[key] = value;
  }
  env.CARGO_HOME = cargoHome;
  env.CARGO_TERM_COLOR = 'never';
  env.CARGO_TERM_PROGRESS_WHEN = 'never';
  return env;
}

/** A temporary "machine" for cargo: a CARGO_HOME pointing at one registry, and projects. */
export class CargoSandbox {
  readonly root: string;
  home = '';
  private homeGeneration = 0;

  /** registry: a sparse index URL with its scheme, e.g. `sparse+${proxy.url}cargo/`. */
  constructor(public registry: string) {
    this.root = mkdtempSync(join(tmpdir(), 'pkgproxy-cargo-'));
    for (let dir = dirname(this.root); ; dir = dirname(dir)) {
      for (const file of ['config.toml', 'config']) {
        if (existsSync(join(dir, '.cargo', file))) throw new Error(`${join(dir, '.cargo', file)} would be read by every cargo run in the sandbox`);
      }
      if (dir === dirname(dir)) break;
    }
    this.freshHome();
  }

  /** A new, empty CARGO_HOME (no index cache, no downloaded crates) with the registry config. */
  freshHome(): string {
    if (this.home) rmSync(this.home, { recursive: true, force: true });
    this.home = join(this.root, `cargo-home-${this.homeGeneration++}`);
    mkdirSync(this.home);
    writeFileSync(
      join(this.home, 'config.toml'),
      [
        '[source.crates-io]',
        'replace-with = "pkgproxy"',
        '[source.pkgproxy]',
        `registry = ${JSON.stringify(this.registry)}`,
        '[registries.crates-io]',
        'protocol = "sparse"',
        '[net]',
        'offline = false',
        // Failures should surface at once, not after cargo's back-off.
        'retry = 0',
        '',
      ].join('\n'),
    );
    return this.home;
  }

  /** A library crate (Cargo.toml + src/lib.rs) in a new directory below the sandbox. */
  newCrate(dir: string, manifest: CrateManifest, libRs: string): string {
    return this.writeCrate(dir, manifest, { 'src/lib.rs': libRs });
  }

  /** A binary project in a new directory below the sandbox. */
  newProject(dir: string, dependencies: Record<string, string>, mainRs: string): string {
    return this.writeCrate(dir, { name: dir, version: '0.1.0', dependencies }, { 'src/main.rs': mainRs });
  }

  async run(args: string[], cwd: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CargoResult> {
    const command = `cargo ${args.join(' ')}`;
    return new Promise((resolve) => {
      execFile('cargo', args, { cwd, env: cleanCargoEnv(this.home), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        let code: number | null = 0;
        if (error) {
          const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
          code = typeof e.code === 'number' ? e.code : null;
          if (e.killed) stderr += `\n[cargo-cli helper] killed after ${timeoutMs} ms`;
          else if (typeof e.code === 'string') stderr += `\n[cargo-cli helper] could not run cargo: ${e.message}`;
        }
        resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}`, command });
      });
    });
  }

  /** Runs cargo and throws with its output unless it exits 0. */
  async ok(args: string[], cwd: string): Promise<CargoResult> {
    const result = await this.run(args, cwd);
    if (result.code !== 0) throw new Error(`${result.command} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    return result;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private writeCrate(dir: string, manifest: CrateManifest, files: Record<string, string>): string {
    const path = join(this.root, dir);
    mkdirSync(join(path, 'src'), { recursive: true });
    const dependencies = Object.entries(manifest.dependencies ?? {}).map(([name, req]) => `${name} = ${JSON.stringify(req)}`);
    writeFileSync(
      join(path, 'Cargo.toml'),
      [
        '[package]',
        `name = ${JSON.stringify(manifest.name)}`,
        `version = ${JSON.stringify(manifest.version)}`,
        'edition = "2021"',
        `description = ${JSON.stringify(`${manifest.name}, built for pkgproxy's tests`)}`,
        'license = "MIT"',
        '',
        '[dependencies]',
        ...dependencies,
        '',
      ].join('\n'),
    );
    for (const [file, content] of Object.entries(files)) writeFileSync(join(path, file), content);
    return path;
  }
}

/** The packages a Cargo.lock locks from a registry, as "name@version", sorted. */
export function lockedCrates(projectDir: string): string[] {
  const lock = readFileSync(join(projectDir, 'Cargo.lock'), 'utf8');
  const crates: string[] = [];
  for (const block of lock.split('[[package]]').slice(1)) {
    const name = /^name = "(.+)"$/m.exec(block)?.[1];
    const version = /^version = "(.+)"$/m.exec(block)?.[1];
    if (name && version && /^source = "registry\+/m.test(block)) crates.push(`${name}@${version}`);
  }
  return crates.sort();
}
