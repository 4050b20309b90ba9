import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIndexFile, renderIndexFile, type IndexFile } from '../../shared/ecosystems/cargo/index-file.js';

const fixtures = join(import.meta.dirname, '../fixtures/cargo');
const serde = readFileSync(join(fixtures, 'se/rd/serde'));
const serdeLines = serde.toString().trimEnd().split('\n');
const context = (hidden: string[] = []) => ({ mountUrl: 'http://proxy.test/cargo/', hidden: new Map(hidden.map((v) => [v, `${v} is hidden`])) });

describe('Cargo index files', () => {
  it('reads versions, pubtime, yanked and checksums from every line', () => {
    const parsed = parseIndexFile('serde', serde);
    expect(parsed.package).toBe('serde');
    expect(parsed.versions).toEqual([
      { version: '1.0.0', publishedAt: null, yanked: false },
      { version: '1.0.149', publishedAt: null, yanked: true },
      { version: '1.0.219', publishedAt: null, yanked: false },
      { version: '1.0.228', publishedAt: Date.parse('2025-09-27T16:51:35Z'), yanked: false },
    ]);
    const entries = (parsed.document as IndexFile).entries;
    expect(entries.map((e) => [e.name, e.version, e.cksum])).toEqual([
      ['serde', '1.0.0', '7fb0c9a9a2b6b6c1b6a1ad0e6f1a1d8b3e4c1a08b1f2e6c2f9a6a3b4d7c1e2f3'],
      ['serde', '1.0.149', '256b9932320c590e707b94576e3cc1f7c9024d0ee6612dfbcf1cb106cbe8e055'],
      ['serde', '1.0.219', '5f0e2c6ed6606019b4e29e69dbaba95b11854410e5347d525002456dbbb786b6'],
      ['serde', '1.0.228', '9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e'],
    ]);
    // Where the files are comes from config.json, through declareArtifacts.
    expect(parsed.artifacts).toEqual([]);
  });

  it('reads any RFC 3339 pubtime, and none from what is not one', () => {
    const line = (pubtime: unknown) => Buffer.from(JSON.stringify({ name: 'x', vers: '1.0.0', deps: [], cksum: 'a'.repeat(64), features: {}, pubtime }));
    expect(parseIndexFile('x', line('2025-11-12T19:30:12Z')).versions[0]!.publishedAt).toBe(Date.UTC(2025, 10, 12, 19, 30, 12));
    expect(parseIndexFile('x', line('2025-11-12T21:30:12.5+02:00')).versions[0]!.publishedAt).toBe(Date.UTC(2025, 10, 12, 19, 30, 12, 500));
    expect(parseIndexFile('x', line('2025-11-12 19:30:12')).versions[0]!.publishedAt).toBeNull();
    expect(parseIndexFile('x', line('yesterday')).versions[0]!.publishedAt).toBeNull();
    expect(parseIndexFile('x', line(1731439812)).versions[0]!.publishedAt).toBeNull();
  });

  it('matches names case-insensitively, as index paths are lowercase', () => {
    const body = Buffer.from(`${JSON.stringify({ name: 'Inflector', vers: '0.11.4', deps: [], cksum: 'b'.repeat(64), features: {} })}\r\n\n`);
    const parsed = parseIndexFile('inflector', body);
    expect((parsed.document as IndexFile).entries.map((e) => e.name)).toEqual(['Inflector']);
  });

  it('refuses what Cargo could not use, naming the line', () => {
    const bad: Array<[string, RegExp]> = [
      ['<html><body>Sign in</body></html>', /^line 1 of the index file of serde is not JSON/],
      [`${serdeLines[0]}\n[1,2]`, /^line 2 of the index file of serde is not a JSON object$/],
      [JSON.stringify({ name: 'serde_json', vers: '1.0.0', cksum: 'a'.repeat(64) }), /is about "serde_json"$/],
      [JSON.stringify({ name: 'serde', cksum: 'a'.repeat(64) }), /has no "vers"$/],
      [JSON.stringify({ name: 'serde', vers: '1.0.0', cksum: 'ABC' }), /has no sha256 "cksum"$/],
    ];
    for (const [body, message] of bad) expect(() => parseIndexFile('serde', Buffer.from(body)), body).toThrow(message);
    expect(parseIndexFile('serde', Buffer.from('')).versions).toEqual([]);
  });

  it('renders the lines of visible versions exactly as upstream wrote them', () => {
    const parsed = parseIndexFile('serde', serde);
    const all = renderIndexFile(parsed.document as IndexFile, context());
    expect(all.body.toString()).toBe(serde.toString());
    expect(all.contentType).toBe('text/plain; charset=utf-8');
    const cooled = renderIndexFile(parsed.document as IndexFile, context(['1.0.228', '1.0.149']));
    expect(cooled.body.toString()).toBe(`${serdeLines[0]}\n${serdeLines[2]}\n`);
    const none = renderIndexFile(parsed.document as IndexFile, context(['1.0.0', '1.0.149', '1.0.219', '1.0.228']));
    expect(none.body.length).toBe(0);
  });
});
