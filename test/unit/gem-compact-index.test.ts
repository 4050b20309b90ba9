import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gem } from '../../shared/ecosystems/gem/index.js';
import type { MetadataRoute, ParsedMetadata, RenderContext } from '../../shared/ecosystems/types.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/gem');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

const UPSTREAM = 'https://rubygems.org/';
const MOUNT = 'http://proxy.test/gem/';

function metadataRoute(path: string): MetadataRoute {
  return gem.route(path, { method: 'GET', accept: undefined, query: '' }) as MetadataRoute;
}

function parseInfo(name: string, file = `info-${name}`, upstream = UPSTREAM): ParsedMetadata {
  return gem.parse(metadataRoute(`info/${name}`), fixture(file), { url: `${upstream}info/${name}` });
}

function render(path: string, parsed: ParsedMetadata, hidden: Record<string, string> = {}) {
  const context: RenderContext = { mountUrl: MOUNT, hidden: new Map(Object.entries(hidden)) };
  return gem.render(metadataRoute(path), parsed, context);
}

describe('RubyGems /info parsing', () => {
  it('reads every version line, with no publish time where the line carries none', () => {
    const parsed = parseInfo('rack');
    expect(parsed.package).toBe('rack');
    expect(parsed.versions.map((v) => v.version)).toEqual(['0.1.0', '1.0.0', '2.2.8', '3.0.8', '3.0.9', '3.1.0']);
    expect(parsed.versions.every((v) => v.publishedAt === null && !v.yanked)).toBe(true);
  });

  it('keys platform gems by version and platform, as the compact index writes them', () => {
    const parsed = parseInfo('nokogiri');
    expect(parsed.versions.map((v) => v.version)).toEqual(['1.15.5', '1.15.5-x86_64-linux', '1.15.5-java', '1.16.0', '1.16.0-x86_64-linux', '1.16.0-arm64-darwin']);
    const linux = parsed.artifacts.find((a) => a.path === 'gems/nokogiri-1.16.0-x86_64-linux.gem')!;
    expect(linux.version).toBe('1.16.0-x86_64-linux');
    expect(linux.checksums).toEqual([{ algorithm: 'sha256', hex: createHash('sha256').update('nokogiri-1.16.0-x86_64-linux').digest('hex') }]);
  });

  it('declares each gem with the sha256 of its checksum field, and its quick spec, on the upstream that answered', () => {
    const parsed = parseInfo('activesupport', 'info-activesupport', 'https://mirror.example.com/rubygems/');
    expect(parsed.artifacts).toHaveLength(6);
    expect(parsed.artifacts[4]).toEqual({
      path: 'gems/activesupport-7.2.0.beta1.gem',
      version: '7.2.0.beta1',
      upstreamUrl: 'https://mirror.example.com/rubygems/gems/activesupport-7.2.0.beta1.gem',
      checksums: [{ algorithm: 'sha256', hex: createHash('sha256').update('activesupport-7.2.0.beta1').digest('hex') }],
    });
    expect(parsed.artifacts[5]).toEqual({
      path: 'quick/Marshal.4.8/activesupport-7.2.0.beta1.gemspec.rz',
      version: '7.2.0.beta1',
      upstreamUrl: 'https://mirror.example.com/rubygems/quick/Marshal.4.8/activesupport-7.2.0.beta1.gemspec.rz',
      checksums: [],
    });
  });

  it('declares nothing when it is not told where the file came from', () => {
    const parsed = gem.parse(metadataRoute('info/rack'), fixture('info-rack'));
    expect(parsed.versions).toHaveLength(6);
    expect(parsed.artifacts).toEqual([]);
  });

  it('reads created_at where the line carries it', () => {
    const parsed = parseInfo('dated', 'info-created-at');
    expect(parsed.versions).toEqual([
      { version: '0.9.0', publishedAt: Date.parse('2024-01-02T03:04:05Z'), yanked: false },
      { version: '1.0.0', publishedAt: Date.parse('2024-03-04T05:06:07.123Z'), yanked: false },
    ]);
    expect(parsed.artifacts[2]!.checksums).toEqual([{ algorithm: 'sha256', hex: createHash('sha256').update('dated-1.0.0').digest('hex') }]);
  });

  it('accepts lines without checksums, and an empty file', () => {
    const bare = gem.parse(metadataRoute('info/old'), Buffer.from('---\n1.0.0\n1.1.0 rack:>= 1\n'), { url: `${UPSTREAM}info/old` });
    expect(bare.versions.map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);
    expect(bare.artifacts[0]!.checksums).toEqual([]);
    expect(gem.parse(metadataRoute('info/none'), Buffer.from('---\n')).versions).toEqual([]);
  });

  it('refuses a document that is not a compact index file', () => {
    expect(() => gem.parse(metadataRoute('info/rack'), Buffer.from('<!DOCTYPE html>\n<html>Sign in</html>\n'))).toThrow(/line 1 of info\/rack is not a compact index line/);
    expect(() => gem.parse(metadataRoute('info/rack'), Buffer.from('---\n1.0.0 |checksum:ab\n../../x |checksum:cd\n'))).toThrow(/line 3/);
  });
});

describe('RubyGems /info rendering', () => {
  it('serves the upstream bytes when nothing is hidden, so /versions still lists its MD5', () => {
    const body = fixture('info-rack');
    const rendered = render('info/rack', parseInfo('rack'));
    expect(rendered.body.equals(body)).toBe(true);
    expect(rendered.contentType).toBe('text/plain; charset=utf-8');
    expect(rendered.etag).toBe(`"${md5(body)}"`);
    expect(fixture('versions').toString()).toContain(`rack 3.1.0 ${md5(body)}\n`);
  });

  it('drops the lines of hidden versions and nothing else, with the ETag of what it sends', () => {
    const rendered = render('info/nokogiri', parseInfo('nokogiri'), { '1.16.0': 'fresh', '1.16.0-x86_64-linux': 'fresh', '9.9.9': 'not listed' });
    const expected = fixture('info-nokogiri')
      .toString()
      .split('\n')
      .filter((line) => !line.startsWith('1.16.0 ') && !line.startsWith('1.16.0-x86_64-linux '))
      .join('\n');
    expect(rendered.body.toString()).toBe(expected);
    expect(rendered.body.toString()).toMatch(/^---\n1\.15\.5 mini_portile2:~> 2\.8\.2,racc:~> 1\.4\|checksum:/);
    expect(rendered.body.toString()).toContain('\n1.16.0-arm64-darwin racc:~> 1.4|');
    expect(rendered.etag).toBe(`"${md5(rendered.body)}"`);
  });

  it('keeps the header when every version is hidden', () => {
    const parsed = parseInfo('rack');
    const hidden = Object.fromEntries(parsed.versions.map((v) => [v.version, 'fresh']));
    expect(render('info/rack', parsed, hidden).body.toString()).toBe('---\n');
  });
});

describe('RubyGems registry-wide files', () => {
  it('serves /versions and /names as the upstream wrote them, with the MD5 ETag Bundler checks', () => {
    const body = fixture('versions');
    const parsed = gem.parse(metadataRoute('versions'), body, { url: `${UPSTREAM}versions` });
    expect(parsed.versions).toEqual([]);
    expect(parsed.artifacts).toEqual([]);
    const rendered = render('versions', parsed, { '3.1.0': 'ignored: policy is judged per gem' });
    expect(rendered.body.equals(body)).toBe(true);
    expect(rendered.etag).toBe(`"${md5(body)}"`);

    const names = Buffer.from('---\nactivesupport\nnokogiri\nrack\n');
    expect(render('names', gem.parse(metadataRoute('names'), names)).body.equals(names)).toBe(true);
  });

  it('answers the mount with a short text rendered from /versions', () => {
    const rendered = render('', gem.parse(metadataRoute(''), fixture('versions')));
    expect(rendered.body.toString()).toMatch(/^RubyGems registry/);
    expect(rendered.etag).toBeUndefined();
  });

  it('serves the Marshal index gzipped as it came', () => {
    const specs = gzipSync(Buffer.from('\u0004\b[\u0000'));
    const rendered = render('specs.4.8.gz', gem.parse(metadataRoute('specs.4.8.gz'), specs));
    expect(rendered.body.equals(specs)).toBe(true);
    expect(rendered.contentType).toBe('application/octet-stream');
  });

  it('refuses files that are not what their name says', () => {
    expect(() => gem.parse(metadataRoute('versions'), Buffer.from('<html>maintenance</html>'))).toThrow(/does not start like a compact index file/);
    expect(() => gem.parse(metadataRoute('names'), Buffer.from('rack\nrails\n'))).toThrow(/compact index/);
    expect(() => gem.parse(metadataRoute('latest_specs.4.8.gz'), Buffer.from('\u0004\b['))).toThrow(/not gzip data/);
  });
});
