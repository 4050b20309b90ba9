import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstChecksumDatabase } from '../../shared/ecosystems/go/checksum-db.js';
import { goModHash, zipHash } from '../../shared/ecosystems/go/dirhash.js';
import { createGo } from '../../shared/ecosystems/go/index.js';
import type { ArtifactRoute, CompletionContext, DownloadedBytes } from '../../shared/ecosystems/types.js';
import { buildModuleZips, type BuiltModule } from '../helpers/go-modules.js';

/**
 * go.sum's h1: hashes computed by pkgproxy, checked against golang.org/x/mod/sumdb/dirhash
 * (what the go command uses) on zips made by golang.org/x/mod/zip, and against zips made by
 * Info-ZIP's zip with stored entries and data descriptors.
 */

const go = createGo({ private: [] });

function bytesOf(buffer: Buffer): DownloadedBytes {
  return {
    size: buffer.length,
    open: async (range) => Readable.from([range ? buffer.subarray(range.start, range.end + 1) : buffer]),
  };
}

/** Hash1 written out from its definition, for zips whose files the test knows. */
function expectedHash1(files: Record<string, string>): string {
  const lines = Object.keys(files)
    .sort()
    .map((name) => `${createHash('sha256').update(files[name]!).digest('hex')}  ${name}\n`);
  return `h1:${createHash('sha256').update(lines.join('')).digest('base64')}`;
}

const MODULE_FILES = {
  'go.mod': 'module example.com/Deep/tree\n\ngo 1.19\n',
  'tree.go': 'package tree\n\nfunc Leaf() string { return "leaf" }\n',
  'internal/walk/walk.go': `package walk\n\n// ${'padding that compresses well '.repeat(400)}\nfunc Walk() {}\n`,
  'testdata/empty.txt': '',
  'README.md': '# tree\n',
};

describe('h1: hashes of module zips', () => {
  let built: BuiltModule[];

  beforeAll(async () => {
    built = await buildModuleZips([
      { path: 'example.com/Deep/tree', version: 'v1.2.3', files: MODULE_FILES },
      { path: 'example.com/small', version: 'v0.0.0-20240102030405-abcdefabcdef', files: { 'go.mod': 'module example.com/small\n', 'small.go': 'package small\n' } },
    ]);
  });

  it('match golang.org/x/mod/sumdb/dirhash on zips made by golang.org/x/mod/zip', async () => {
    for (const module of built) {
      expect(await zipHash(bytesOf(module.zip))).toBe(module.zipHash);
      expect(await goModHash(bytesOf(Buffer.from(module.goMod)))).toBe(module.modHash);
    }
    const prefixed = Object.fromEntries(Object.entries(MODULE_FILES).map(([name, text]) => [`example.com/Deep/tree@v1.2.3/${name}`, text]));
    expect(built[0]!.zipHash).toBe(expectedHash1(prefixed));
  });

  describe('zips made by Info-ZIP', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'go-checksums-'));
      for (const [name, text] of Object.entries(MODULE_FILES)) {
        mkdirSync(dirname(join(dir, 'src', name)), { recursive: true });
        writeFileSync(join(dir, 'src', name), text);
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const zipOf = (flags: string[]) => {
      const out = join(dir, `${flags.join('')}.zip`);
      // Written to a pipe, zip cannot seek back: sizes follow each entry in data descriptors.
      execFileSync('sh', ['-c', `cd src && zip -q -X ${flags.join(' ')} -r - . | cat > ${out}`], { cwd: dir });
      return readFileSync(out);
    };

    it('with stored entries', async () => {
      expect(await zipHash(bytesOf(zipOf(['-0'])))).toBe(expectedHash1(withDirectories(MODULE_FILES)));
    });

    it('with deflated entries and data descriptors', async () => {
      expect(await zipHash(bytesOf(zipOf(['-9'])))).toBe(expectedHash1(withDirectories(MODULE_FILES)));
    });
  });

  it('refuses what is not a whole zip', async () => {
    const zip = built[0]!.zip;
    await expect(zipHash(bytesOf(Buffer.from('not a zip at all, not even close to one')))).rejects.toThrow(/end of central directory/);
    await expect(zipHash(bytesOf(zip.subarray(0, zip.length - 30)))).rejects.toThrow();
    const lostMiddle = Buffer.concat([zip.subarray(0, 100), zip.subarray(200)]);
    await expect(zipHash(bytesOf(lostMiddle))).rejects.toThrow();
  });
});

describe('checking .zip and .mod against the checksum database', () => {
  let module: BuiltModule;
  const lookups: string[] = [];
  let record: string | undefined;
  const context: CompletionContext = {
    known: new Map(),
    now: Date.now(),
    async fetch(path) {
      lookups.push(path);
      return record === undefined ? undefined : { url: `https://proxy.test/${path}`, status: 200, headers: {}, body: Buffer.from(record) };
    },
  };
  const artifact = (file: string) => go.route(`example.com/!tool/@v/${file}`, { method: 'GET', accept: undefined, query: '' }) as ArtifactRoute;

  beforeAll(async () => {
    module = (await buildModuleZips([{ path: 'example.com/Tool', version: 'v1.0.0', files: { 'go.mod': 'module example.com/Tool\n\ngo 1.19\n', 'tool.go': 'package tool\n' } }]))[0]!;
    record = `4711\nexample.com/Tool v1.0.0 ${module.zipHash}\nexample.com/Tool v1.0.0/go.mod ${module.modHash}\n\ngo.sum database tree\n4712\nroot=\n\n— sum.golang.org sig=\n`;
  });

  it('passes bytes whose h1: hash is the one on record, looked up by escaped path', async () => {
    lookups.length = 0;
    expect(await checkAgainstChecksumDatabase(artifact('v1.0.0.zip'), bytesOf(module.zip), context)).toBeUndefined();
    expect(await checkAgainstChecksumDatabase(artifact('v1.0.0.mod'), bytesOf(Buffer.from(module.goMod)), context)).toBeUndefined();
    expect(lookups).toEqual(['sumdb/sum.golang.org/lookup/example.com/!tool@v1.0.0', 'sumdb/sum.golang.org/lookup/example.com/!tool@v1.0.0']);
  });

  it('names both hashes when the bytes differ from the record', async () => {
    const other = (await buildModuleZips([{ path: 'example.com/Tool', version: 'v1.0.0', files: { 'go.mod': 'module example.com/Tool\n\ngo 1.19\n', 'tool.go': 'package tool // changed\n' } }]))[0]!;
    const problem = await checkAgainstChecksumDatabase(artifact('v1.0.0.zip'), bytesOf(other.zip), context);
    expect(problem).toBe(`example.com/Tool v1.0.0 hashes to ${other.zipHash}, but sum.golang.org records ${module.zipHash}`);
    const modProblem = await checkAgainstChecksumDatabase(artifact('v1.0.0.mod'), bytesOf(Buffer.from('module example.com/Tool\n\ngo 1.21\n')), context);
    expect(modProblem).toMatch(/^example\.com\/Tool v1\.0\.0\/go\.mod hashes to h1:.+, but sum\.golang\.org records h1:/);
  });

  it('reports a zip it cannot read', async () => {
    expect(await checkAgainstChecksumDatabase(artifact('v1.0.0.zip'), bytesOf(Buffer.from('<html>oops</html>')), context)).toMatch(/^unreadable module zip: /);
  });

  it('passes modules the database does not know, and never looks up .info', async () => {
    const saved = record;
    record = undefined;
    try {
      expect(await checkAgainstChecksumDatabase(artifact('v1.0.0.zip'), bytesOf(Buffer.from('anything')), context)).toBeUndefined();
    } finally {
      record = saved;
    }
    lookups.length = 0;
    expect(await checkAgainstChecksumDatabase(artifact('v1.0.0.info'), bytesOf(Buffer.from('{}')), context)).toBeUndefined();
    expect(lookups).toEqual([]);
  });

  it('refuses a record that does not list the version', async () => {
    const saved = record;
    record = '4711\nexample.com/Other v1.0.0 h1:abc=\n';
    try {
      expect(await checkAgainstChecksumDatabase(artifact('v1.0.0.zip'), bytesOf(module.zip), context)).toBe('sum.golang.org answered a record without "example.com/Tool v1.0.0 h1:..."');
    } finally {
      record = saved;
    }
  });
});

/** Info-ZIP stores an entry for each directory too; dirhash hashes it as an empty file. */
function withDirectories(files: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...files };
  for (const name of Object.keys(files)) {
    const parts = name.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) out[`${parts.slice(0, i).join('/')}/`] = '';
  }
  return out;
}
