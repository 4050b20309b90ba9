import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { npm } from '../../shared/ecosystems/npm/index.js';
import { InvalidPackument, parsePackument, tarballFile } from '../../shared/ecosystems/npm/packument.js';
import { packumentRoute } from '../../shared/ecosystems/npm/routes.js';
import type { ArtifactDeclaration, ParsedMetadata } from '../../shared/ecosystems/types.js';

function fixture(file: string): Buffer {
  return readFileSync(new URL(`../fixtures/npm/${file}`, import.meta.url));
}

function fixtureJson(file: string): Record<string, any> {
  return JSON.parse(fixture(file).toString('utf8'));
}

function parse(name: string, body: Buffer | object): ParsedMetadata {
  return npm.parse(packumentRoute(name, 'full'), Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body)));
}

function artifactOf(parsed: ParsedMetadata, version: string): ArtifactDeclaration {
  const found = parsed.artifacts.find((a) => a.version === version);
  expect(found, `artifact of ${version}`).toBeDefined();
  return found!;
}

const WATCHER_260_SHA512 =
  'ec535e365f0d084eda20dc7b59788a42b3d86560bf86fad3b2693ace6c5b23b2d35c4ee155e93f9fc01f560a5edb2f36ce5df0d07bc21cdd1b54a301a09702d3';
const REACT_1931_SHA512 =
  '40d85676dee7ae05565901b9f10b86b004778efdc76dee266f8bf3ef0d9cb271dabdc89926075ad423cd6a5745e9e571bfdd2e7778d45e92a51cbebd80edfccb';

describe('versions and publish times', () => {
  it('reads every version of a scoped packument with its publish time from `time`', () => {
    const parsed = parse('@parcel/watcher', fixture('parcel-watcher.json'));
    expect(parsed.package).toBe('@parcel/watcher');
    expect(parsed.versions).toHaveLength(16);
    expect(parsed.versions.map((v) => v.version)).not.toContain('created');
    expect(parsed.versions.map((v) => v.version)).not.toContain('modified');
    expect(parsed.versions.find((v) => v.version === '2.6.0')).toEqual({
      version: '2.6.0',
      publishedAt: Date.UTC(2026, 6, 20, 6, 2, 26, 498),
      yanked: false,
    });
    expect(parsed.versions.find((v) => v.version === '2.0.0-alpha.10')?.publishedAt).toBe(Date.UTC(2021, 4, 18, 1, 12, 44, 117));
    expect(parsed.versions.every((v) => typeof v.publishedAt === 'number' && v.yanked === false)).toBe(true);
  });

  it('reads prerelease versions of a packument with many dist-tags', () => {
    const parsed = parse('react', fixture('react.json'));
    expect(parsed.versions).toHaveLength(18);
    expect(parsed.versions.find((v) => v.version === '0.0.0-experimental-dc9aed36-20261027')?.publishedAt).toBe(Date.UTC(2026, 9, 27, 16, 10, 21, 205));
    expect(parsed.versions.find((v) => v.version === '19.3.1')?.publishedAt).toBe(Date.UTC(2026, 9, 2, 18, 33, 20, 560));
  });

  it('reads the mirror\'s own timestamp format (microseconds, +00:00)', () => {
    const parsed = parse('is-number', fixture('is-number.mirror.json'));
    expect(parsed.versions).toHaveLength(15);
    expect(parsed.versions.find((v) => v.version === '7.0.0')?.publishedAt).toBe(Date.UTC(2024, 1, 27, 16, 27, 13, 411));
  });

  it('gives null publish times when the packument has no `time`', () => {
    const { time: _time, ...withoutTime } = fixtureJson('is-number.mirror.json');
    const parsed = parse('is-number', withoutTime);
    expect(parsed.versions).toHaveLength(15);
    expect(parsed.versions.every((v) => v.publishedAt === null)).toBe(true);
    // Artifacts do not depend on publish times.
    expect(parsed.artifacts).toHaveLength(15);
  });

  it('gives null for a version missing from `time` or with an unreadable time', () => {
    const doc = fixtureJson('is-number.mirror.json');
    delete doc.time['7.0.0'];
    doc.time['6.0.0'] = 'yesterday-ish';
    doc.time['5.0.0'] = 1_700_000_000_000;
    const parsed = parse('is-number', doc);
    const byVersion = new Map(parsed.versions.map((v) => [v.version, v.publishedAt]));
    expect(byVersion.get('7.0.0')).toBeNull();
    expect(byVersion.get('6.0.0')).toBeNull();
    expect(byVersion.get('5.0.0')).toBeNull();
    expect(byVersion.get('4.0.0')).toBe(Date.UTC(2024, 10, 22, 23, 13, 23, 690));
  });

  it('hands the document back for rendering', () => {
    const parsed = parse('react', fixture('react.json'));
    expect((parsed.document as { 'dist-tags': Record<string, string> })['dist-tags'].canary).toBe('19.3.0-canary-dc9aed36-20261027');
  });
});

describe('artifacts', () => {
  it('declares a scoped tarball under <name>/-/<file> with its upstream URL and checksums', () => {
    const parsed = parse('@parcel/watcher', fixture('parcel-watcher.json'));
    expect(parsed.artifacts).toHaveLength(16);
    expect(artifactOf(parsed, '2.6.0')).toEqual({
      path: '@parcel/watcher/-/watcher-2.6.0.tgz',
      version: '2.6.0',
      upstreamUrl: 'https://registry.npmjs.org/@parcel/watcher/-/watcher-2.6.0.tgz',
      checksums: [
        { algorithm: 'sha512', hex: WATCHER_260_SHA512 },
        { algorithm: 'sha1', hex: '99661f6220070b76a766aba6b7e313a087a1be4f' },
      ],
    });
  });

  it('declares an unscoped tarball under <name>/-/<file>', () => {
    const parsed = parse('react', fixture('react.json'));
    expect(artifactOf(parsed, '19.3.1')).toEqual({
      path: 'react/-/react-19.3.1.tgz',
      version: '19.3.1',
      upstreamUrl: 'https://registry.npmjs.org/react/-/react-19.3.1.tgz',
      checksums: [
        { algorithm: 'sha512', hex: REACT_1931_SHA512 },
        { algorithm: 'sha1', hex: '26e9523fc36ea06be5050ebb780249a133260ad7' },
      ],
    });
    expect(artifactOf(parsed, '0.0.0-experimental-dc9aed36-20261027').path).toBe('react/-/react-0.0.0-experimental-dc9aed36-20261027.tgz');
  });

  it('keeps the upstream URL as declared, whatever host it names', () => {
    const doc = fixtureJson('react.json');
    doc.versions['19.3.1'].dist.tarball = 'https://cdn.example.com/files/react/-/react-19.3.1.tgz?sig=abc';
    expect(artifactOf(parse('react', doc), '19.3.1')).toMatchObject({
      path: 'react/-/react-19.3.1.tgz',
      upstreamUrl: 'https://cdn.example.com/files/react/-/react-19.3.1.tgz?sig=abc',
    });
  });

  it('declares nothing for versions without a usable tarball URL, but still lists them', () => {
    const doc = fixtureJson('react.json');
    delete doc.versions['19.3.1'].dist.tarball;
    doc.versions['19.3.0'].dist.tarball = 'https://registry.npmjs.org/react/-/react-19.3.0.zip';
    doc.versions['19.2.9'].dist.tarball = 'not a url';
    delete doc.versions['19.2.0'].dist;
    doc.versions['19.1.0'] = null;
    const parsed = parse('react', doc);
    expect(parsed.versions).toHaveLength(18);
    for (const version of ['19.3.1', '19.3.0', '19.2.9', '19.2.0', '19.1.0']) {
      expect(parsed.artifacts.some((a) => a.version === version), version).toBe(false);
    }
    expect(parsed.artifacts).toHaveLength(13);
  });
});

describe('checksums', () => {
  function checksumsOf(dist: Record<string, unknown>) {
    const doc = fixtureJson('is-number.mirror.json');
    doc.versions['7.0.0'].dist = { tarball: 'https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz', ...dist };
    return artifactOf(parse('is-number', doc), '7.0.0').checksums;
  }

  const SHA512_B64 = '41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==';
  const SHA512_HEX =
    'e350a27e483a7bc4f2952a5db53a5e2d532abd20445734edb47bc4443ef8d7ea6767c00dbf4d34e0c44be3740a3c394af5c1af369e8d6566540656c65d8c719e';
  const SHA1_HEX = '7535345b896734d5f80c4d06c50955527a14f12b';
  const SHA1_B64 = 'dTU0W4lnNNX4DE0GxQlVUnoU8Ss=';

  it('turns a base64 SRI into hex and adds the shasum', () => {
    expect(checksumsOf({ integrity: `sha512-${SHA512_B64}`, shasum: SHA1_HEX })).toEqual([
      { algorithm: 'sha512', hex: SHA512_HEX },
      { algorithm: 'sha1', hex: SHA1_HEX },
    ]);
  });

  it('reads several SRI strings and does not repeat sha1 from shasum', () => {
    expect(checksumsOf({ integrity: `sha512-${SHA512_B64} sha1-${SHA1_B64}`, shasum: SHA1_HEX })).toEqual([
      { algorithm: 'sha512', hex: SHA512_HEX },
      { algorithm: 'sha1', hex: SHA1_HEX },
    ]);
  });

  it('reads SRI strings separated by any whitespace, with options', () => {
    const sha256 = Buffer.alloc(32, 0xab);
    expect(checksumsOf({ integrity: `  sha256-${sha256.toString('base64')}?foo\n\tsha512-${SHA512_B64}?bar=baz ` })).toEqual([
      { algorithm: 'sha256', hex: 'ab'.repeat(32) },
      { algorithm: 'sha512', hex: SHA512_HEX },
    ]);
  });

  it('skips unknown algorithms and digests of the wrong length', () => {
    expect(
      checksumsOf({
        integrity: `md5-${Buffer.alloc(16, 1).toString('base64')} sha512-${Buffer.alloc(20, 1).toString('base64')} sha384 nonsense`,
        shasum: SHA1_HEX,
      }),
    ).toEqual([{ algorithm: 'sha1', hex: SHA1_HEX }]);
  });

  it('takes the shasum alone, lowercased, when there is no integrity', () => {
    expect(checksumsOf({ shasum: SHA1_HEX.toUpperCase() })).toEqual([{ algorithm: 'sha1', hex: SHA1_HEX }]);
  });

  it('ignores a shasum that is not 40 hex digits', () => {
    expect(checksumsOf({ shasum: 'abc' })).toEqual([]);
    expect(checksumsOf({ shasum: `${SHA1_HEX}00` })).toEqual([]);
    expect(checksumsOf({ shasum: 42 })).toEqual([]);
  });
});

describe('tarballFile', () => {
  it.each([
    ['https://registry.npmjs.org/react/-/react-19.3.1.tgz', 'react-19.3.1.tgz'],
    ['https://registry.npmjs.org/@parcel/watcher/-/watcher-2.6.0.tgz', 'watcher-2.6.0.tgz'],
    ['https://registry.npmjs.org/@parcel%2fwatcher/-/watcher-2.6.0.tgz', 'watcher-2.6.0.tgz'],
    ['https://example.com/a/-/a-1.0.0%2Bbuild.1.tgz?token=x#frag', 'a-1.0.0+build.1.tgz'],
    ['https://example.com/a/-/a-1.0.0.tar.gz', undefined],
    ['https://example.com/a/-/..%2f..%2fx.tgz', undefined],
    ['https://example.com/a/-/%E0%A4%A.tgz', undefined],
    ['/react/-/react-19.3.1.tgz', undefined],
    ['', undefined],
  ])('%j -> %j', (url, file) => {
    expect(tarballFile(url)).toBe(file);
  });
});

describe('invalid packuments', () => {
  it.each([
    ['not JSON', Buffer.from('<html>502 Bad Gateway</html>'), /is not JSON/],
    ['truncated JSON', fixture('react.json').subarray(0, 1000), /is not JSON/],
    ['an array', Buffer.from('[]'), /is not a JSON object/],
    ['null', Buffer.from('null'), /is not a JSON object/],
    ['a string', Buffer.from('"react"'), /is not a JSON object/],
    ['a number', Buffer.from('42'), /is not a JSON object/],
    ['versions as an array', Buffer.from('{"name":"react","versions":[]}'), /has no versions object/],
    ['versions as a string', Buffer.from('{"name":"react","versions":"19.3.1"}'), /has no versions object/],
  ])('refuses %s', (_what, body, message) => {
    expect(() => parsePackument('react', body)).toThrow(InvalidPackument);
    expect(() => parsePackument('react', body)).toThrow(message);
  });

  it('refuses the packument of another package', () => {
    expect(() => parse('react-dom', fixture('react.json'))).toThrow(InvalidPackument);
    expect(() => parse('react-dom', fixture('react.json'))).toThrow('upstream answered the packument of "react" when asked for "react-dom"');
    expect(() => parse('@parcel/watcher-wasm', fixture('parcel-watcher.json'))).toThrow(InvalidPackument);
    expect(() => parse('React', fixture('react.json'))).toThrow(InvalidPackument);
  });

  it('accepts a packument without a name, and one without versions', () => {
    const { name: _name, ...nameless } = fixtureJson('react.json');
    expect(parse('react', nameless).versions).toHaveLength(18);
    expect(parse('react', { name: 'react' })).toMatchObject({ package: 'react', versions: [], artifacts: [] });
  });
});
