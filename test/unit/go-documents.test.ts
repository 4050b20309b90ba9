import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGo } from '../../shared/ecosystems/go/index.js';
import type { MetadataRoute, RenderContext } from '../../shared/ecosystems/types.js';
import { HttpError } from '../../shared/http-error.js';

const go = createGo({ private: [] });
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/go', name));
const MOUNT = 'http://proxy.test/go/';

function metadataRoute(path: string): MetadataRoute {
  const route = go.route(path, { method: 'GET', accept: undefined, query: '' });
  if (route.kind !== 'metadata') throw new Error(`${path} is not metadata`);
  return route;
}

function render(path: string, body: Buffer, hidden: Record<string, string> = {}) {
  const route = metadataRoute(path);
  const context: RenderContext = { mountUrl: MOUNT, hidden: new Map(Object.entries(hidden)) };
  return go.render(route, go.parse(route, body), context);
}

const TEXT_VERSIONS = ['v0.3.8', 'v0.3.2', 'v0.3.6', 'v0.13.0', 'v0.1.0', 'v0.3.7', 'v0.3.0', 'v0.14.0', 'v0.3.5', 'v0.4.0', 'v0.3.4', 'v0.2.0', 'v0.3.3', 'v0.5.0', 'v0.6.0', 'v0.7.0', 'v0.8.0', 'v0.9.0', 'v0.10.0', 'v0.11.0', 'v0.12.0', 'v0.3.1'];

describe('Go version lists', () => {
  const path = 'golang.org/x/text/@v/list';

  it('reads every version, undated (times come from each .info), and declares no artifacts', () => {
    const parsed = go.parse(metadataRoute(path), fixture('golang.org-x-text.list'));
    expect(parsed.package).toBe('golang.org/x/text');
    expect(parsed.versions).toEqual(TEXT_VERSIONS.map((version) => ({ version, publishedAt: null, yanked: false })));
    expect(parsed.artifacts).toEqual([]);
  });

  it('renders the list as fetched when nothing is hidden', () => {
    const rendered = render(path, fixture('golang.org-x-text.list'));
    expect(rendered.contentType).toBe('text/plain; charset=utf-8');
    expect(rendered.body.toString()).toBe(fixture('golang.org-x-text.list').toString());
  });

  it('leaves hidden versions out', () => {
    const rendered = render(path, fixture('golang.org-x-text.list'), { 'v0.14.0': 'too fresh', 'v0.13.0': 'too fresh' });
    const lines = rendered.body.toString().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(TEXT_VERSIONS.filter((v) => v !== 'v0.14.0' && v !== 'v0.13.0'));
  });

  it('keeps a timestamp after a version, which the go command reads too, and drops blank lines', () => {
    const body = Buffer.from('v1.0.0 2023-01-02T03:04:05Z\n\nv1.1.0 2024-01-02T03:04:05Z\r\n');
    expect(go.parse(metadataRoute('example.com/m/@v/list'), body).versions.map((v) => v.version)).toEqual(['v1.0.0', 'v1.1.0']);
    expect(render('example.com/m/@v/list', body, { 'v1.1.0': 'fresh' }).body.toString()).toBe('v1.0.0 2023-01-02T03:04:05Z\n');
  });

  it('renders an empty list (a module with no tags) as empty', () => {
    expect(go.parse(metadataRoute('example.com/m/@v/list'), Buffer.alloc(0)).versions).toEqual([]);
    expect(render('example.com/m/@v/list', Buffer.from('v1.0.0\n'), { 'v1.0.0': 'fresh' }).body.toString()).toBe('');
  });

  it('refuses a list that is not one of versions (an HTML error page, binary junk)', () => {
    const route = metadataRoute('example.com/m/@v/list');
    expect(() => go.parse(route, Buffer.from('<html><body>Service Unavailable</body></html>'))).toThrow(/not a version/);
    expect(() => go.parse(route, Buffer.from('v1.0.0\nlatest\n'))).toThrow(/"latest"/);
    expect(() => go.parse(route, Buffer.from([0x76, 0x31, 0xff, 0xfe]))).toThrow(/UTF-8/);
  });
});

describe('Go .info documents (@latest and version queries)', () => {
  it('reads the version and its Time as the publish time', () => {
    const parsed = go.parse(metadataRoute('github.com/!burnt!sushi/toml/@latest'), fixture('github.com-burntsushi-toml.latest'));
    expect(parsed.package).toBe('github.com/BurntSushi/toml');
    expect(parsed.versions).toEqual([{ version: 'v1.3.2', publishedAt: Date.parse('2023-06-08T06:10:35Z'), yanked: false }]);
    expect(parsed.artifacts).toEqual([]);
  });

  it('reads a branch resolved to a pseudo-version, dated by its .info', () => {
    const parsed = go.parse(metadataRoute('golang.org/x/exp/@v/master.info'), fixture('golang.org-x-exp.master.info'));
    expect(parsed.versions).toEqual([{ version: 'v0.0.0-20231006140011-7918f672742d', publishedAt: Date.parse('2023-10-06T14:00:11Z'), yanked: false }]);
  });

  it('renders the document as fetched (Origin kept) when its version is visible', () => {
    const rendered = render('github.com/!burnt!sushi/toml/@latest', fixture('github.com-burntsushi-toml.latest'), { 'v1.3.1': 'another version' });
    expect(rendered.contentType).toBe('application/json');
    expect(rendered.body.equals(fixture('github.com-burntsushi-toml.latest'))).toBe(true);
  });

  it('refuses with 403 and the reason when its version is hidden, so that no "direct" fallback goes around the cooldown', () => {
    let thrown: unknown;
    try {
      render('golang.org/x/exp/@v/master.info', fixture('golang.org-x-exp.master.info'), {
        'v0.0.0-20231006140011-7918f672742d': 'golang.org/x/exp@v0.0.0-20231006140011-7918f672742d was published at 2023-10-06T14:00:11.000Z, inside the 3d cooldown',
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    expect((thrown as HttpError).status).toBe(403);
    expect((thrown as HttpError).message).toBe('refused by policy: golang.org/x/exp@v0.0.0-20231006140011-7918f672742d was published at 2023-10-06T14:00:11.000Z, inside the 3d cooldown');
  });

  it('takes an .info without Time as undated', () => {
    const parsed = go.parse(metadataRoute('example.com/m/@latest'), Buffer.from('{"Version":"v1.0.0"}'));
    expect(parsed.versions).toEqual([{ version: 'v1.0.0', publishedAt: null, yanked: false }]);
  });

  it('refuses an .info that is not JSON or has no canonical Version', () => {
    const route = metadataRoute('example.com/m/@latest');
    expect(() => go.parse(route, Buffer.from('not found: example.com/m@latest'))).toThrow(/not JSON/);
    expect(() => go.parse(route, Buffer.from('{"Version":"master","Time":"2023-01-01T00:00:00Z"}'))).toThrow(/canonical Version/);
    expect(() => go.parse(route, Buffer.from('[]'))).toThrow(/canonical Version/);
  });
});

describe('checksum database documents', () => {
  it('passes lookups and the tree head through byte for byte, as text', () => {
    for (const [path, name] of [
      ['sumdb/sum.golang.org/lookup/golang.org/x/text@v0.14.0', 'sumdb-lookup-golang.org-x-text@v0.14.0.txt'],
      ['sumdb/sum.golang.org/latest', 'sumdb-latest.txt'],
    ] as const) {
      const parsed = go.parse(metadataRoute(path), fixture(name));
      expect(parsed.versions).toEqual([]);
      expect(parsed.package).toBe(path);
      const rendered = render(path, fixture(name), { 'v0.14.0': 'hidden versions do not touch the checksum database' });
      expect(rendered.body.equals(fixture(name))).toBe(true);
      expect(rendered.contentType).toBe('text/plain; charset=utf-8');
    }
  });

  it('passes tiles through as binary and refuses one that is not whole hashes', () => {
    const tile = randomBytes(32 * 12);
    const rendered = render('sumdb/sum.golang.org/tile/8/1/000.p/12', tile);
    expect(rendered.body.equals(tile)).toBe(true);
    expect(rendered.contentType).toBe('application/octet-stream');
    expect(() => go.parse(metadataRoute('sumdb/sum.golang.org/tile/8/0/001'), randomBytes(33))).toThrow(/not a whole number of hashes/);
    expect(() => go.parse(metadataRoute('sumdb/sum.golang.org/tile/8/0/001'), Buffer.alloc(0))).toThrow(/not a whole number of hashes/);
  });
});
