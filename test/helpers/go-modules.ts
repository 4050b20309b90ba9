import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real Go module zips for tests, made by golang.org/x/mod/zip (what the go command uses to
 * create and verify them; Debian's golang-golang-x-mod-dev) through test/helpers/go-modzip.go,
 * with the h1: hashes go.sum and the checksum database record for them.
 */

const run = promisify(execFile);
const X_MOD = '/usr/share/gocode/src/golang.org/x/mod';
const TOOL_SOURCE = join(import.meta.dirname, 'go-modzip.go');

export interface ModuleSource {
  path: string;
  version: string;
  /** File name below the module root → contents; must include go.mod. */
  files: Record<string, string>;
}

export interface BuiltModule {
  zip: Buffer;
  goMod: string;
  /** go.sum's hash of the zip's files ("h1:..."). */
  zipHash: string;
  /** go.sum's hash of the go.mod ("h1:..."). */
  modHash: string;
}

let tool: Promise<string> | undefined;

/** Builds one zip per module version, all in one run of the tool. */
export async function buildModuleZips(sources: ModuleSource[]): Promise<BuiltModule[]> {
  const binary = await (tool ??= buildTool());
  const work = mkdtempSync(join(tmpdir(), 'go-modules-'));
  try {
    const requests = sources.map((source, i) => {
      const dir = join(work, `src-${i}`);
      for (const [name, contents] of Object.entries(source.files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), contents);
      }
      return { path: source.path, version: source.version, dir, zip: join(work, `${i}.zip`) };
    });
    const child = execFile(binary, [], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    const output = new Promise<string>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: string) => (stdout += chunk));
      child.stderr!.on('data', (chunk: string) => (stderr += chunk));
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`go-modzip exited ${code}: ${stderr}`))));
    });
    child.stdin!.end(JSON.stringify(requests));
    const hashes = JSON.parse(await output) as Array<{ zipHash: string; modHash: string }>;
    return requests.map((request, i) => ({
      zip: readFileSync(request.zip),
      goMod: sources[i]!.files['go.mod']!,
      zipHash: hashes[i]!.zipHash,
      modHash: hashes[i]!.modHash,
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function buildTool(): Promise<string> {
  if (!existsSync(join(X_MOD, 'zip'))) throw new Error(`${X_MOD} is missing: install Debian's golang-golang-x-mod-dev (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'go-modzip-'));
  const binary = join(dir, 'go-modzip');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await run('go', ['build', '-o', binary, TOOL_SOURCE], {
    env: { PATH: process.env.PATH, HOME: dir, GOENV: 'off', GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(dir, 'cache'), GOFLAGS: '', CGO_ENABLED: '0' },
  });
  return binary;
}
