import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real Python distributions for the tests: a wheel and an sdist per release, built by
 * setuptools and wheel from a generated project (`setup.py sdist bdist_wheel`), and the
 * wheel's METADATA as its PEP 658 metadata file.
 */

const run = promisify(execFile);

export interface ReleaseSpec {
  /** The project name as its author spells it ("Demo.Util"): files and METADATA keep that spelling. */
  name: string;
  version: string;
  /** PEP 508 requirements, e.g. "demo-lib>=1.0". */
  requires?: string[];
}

export interface Distribution {
  filename: string;
  bytes: Buffer;
  /** The core metadata file of a wheel (PEP 658); sdists have none. */
  metadata?: Buffer;
}

let buildPython: string | undefined;

/**
 * A Python that has setuptools and wheel. The python3 on PATH may lack wheel (a pyenv build);
 * Debian's has it with python3-wheel, which .ci/run installs.
 */
export function findBuildPython(): string {
  if (buildPython) return buildPython;
  for (const candidate of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(candidate, ['-c', 'import setuptools, wheel'], { stdio: 'ignore' });
      return (buildPython = candidate);
    } catch {
      // try the next one
    }
  }
  throw new Error('no python3 with setuptools and wheel to build test distributions: install the Debian packages python3-setuptools and python3-wheel');
}

/** Builds one release: its wheel and sdist, in the order pip would list them. */
export async function buildRelease(spec: ReleaseSpec): Promise<Distribution[]> {
  const python = findBuildPython();
  const root = mkdtempSync(join(tmpdir(), 'pkgproxy-pypi-build-'));
  try {
    const project = join(root, 'project');
    const out = join(root, 'dist');
    mkdirSync(project);
    const module = spec.name.toLowerCase().replace(/[-.]+/g, '_');
    writeFileSync(join(project, `${module}.py`), `VERSION = ${JSON.stringify(spec.version)}\n`);
    writeFileSync(
      join(project, 'setup.py'),
      'from setuptools import setup\n' +
        `setup(name=${JSON.stringify(spec.name)}, version=${JSON.stringify(spec.version)}, py_modules=[${JSON.stringify(module)}], ` +
        `install_requires=${JSON.stringify(spec.requires ?? [])}, python_requires=">=3.7")\n`,
    );
    await run(python, ['setup.py', '-q', 'sdist', '-d', out, 'bdist_wheel', '-d', out], { cwd: project, env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    const files = readdirSync(out).sort((a, b) => Number(b.endsWith('.whl')) - Number(a.endsWith('.whl')));
    const wheel = files.find((f) => f.endsWith('.whl'));
    if (!wheel || files.length !== 2) throw new Error(`building ${spec.name} ${spec.version} made ${files.join(', ')}`);
    const { stdout: metadata } = await run(
      python,
      ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); sys.stdout.buffer.write(z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))))', join(out, wheel)],
      { encoding: 'buffer' },
    );
    return files.map((filename) => ({ filename, bytes: readFileSync(join(out, filename)), ...(filename === wheel ? { metadata } : {}) }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
