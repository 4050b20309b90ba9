import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../shared/config/schema.js';
import { createMaven } from '../../shared/ecosystems/maven/index.js';
import type { MetadataRoute, ParsedMetadata } from '../../shared/ecosystems/types.js';
import { HttpError } from '../../shared/http-error.js';

const maven = createMaven(configSchema.parse({}));
const MOUNT = 'http://proxy.test:8080/maven/';

function fixture(file: string): Buffer {
  return readFileSync(new URL(`../fixtures/maven/${file}`, import.meta.url));
}

function metadataRoute(path: string): MetadataRoute {
  const route = maven.route(path, { method: 'GET', accept: undefined, query: '' });
  if (route.kind !== 'metadata') throw new Error(`${path} is not metadata`);
  return route;
}

function parse(path: string, body: Buffer | string): ParsedMetadata {
  return maven.parse(metadataRoute(path), Buffer.isBuffer(body) ? body : Buffer.from(body));
}

function render(path: string, body: Buffer | string, hidden: Record<string, string> = {}): string {
  const parsed = parse(path.replace(/\.(sha1|md5|sha256|sha512)$/, ''), body);
  return maven.render(metadataRoute(path), parsed, { mountUrl: MOUNT, hidden: new Map(Object.entries(hidden)) }).body.toString('latin1');
}

/** The text of every <tag> in a rendered document. */
function values(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]!);
}

/** The XML with comments removed: what Maven reads. */
function uncommented(xml: string): string {
  return xml.replace(/<!--[\s\S]*?-->/g, '');
}

const JUNIT = 'junit/junit/maven-metadata.xml';
const GUAVA = 'com/google/guava/guava/maven-metadata.xml';

describe('parsing maven-metadata.xml', () => {
  it('reads the versions of an artifact in deploy order, undated, with no artifact declarations', () => {
    const parsed = parse(JUNIT, fixture('junit.maven-metadata.xml'));
    expect(parsed.package).toBe('junit:junit');
    expect(parsed.versions.map((v) => v.version)).toEqual(values(fixture('junit.maven-metadata.xml').toString(), 'version'));
    expect(parsed.versions[0]).toEqual({ version: '3.7', publishedAt: null, yanked: false });
    expect(parsed.versions.at(-1)!.version).toBe('4.13.2');
    expect(parsed.artifacts).toEqual([]);
  });

  it('ignores versions inside comments, and reads a root element with attributes', () => {
    const versions = parse(GUAVA, fixture('guava.maven-metadata.xml')).versions.map((v) => v.version);
    expect(versions).toContain('r03');
    expect(versions).toContain('33.3.1-jre');
    expect(versions).not.toContain('32.0.0-jre');
    expect(versions).toHaveLength(13);
  });

  it('reads a SNAPSHOT directory document as its one version', () => {
    const parsed = parse('org/apache/maven/maven-core/4.0.0-SNAPSHOT/maven-metadata.xml', fixture('maven-core.snapshot.maven-metadata.xml'));
    expect(parsed.package).toBe('org.apache.maven:maven-core');
    expect(parsed.versions).toEqual([{ version: '4.0.0-SNAPSHOT', publishedAt: null, yanked: false }]);
  });

  it('reads a group document (plugin prefixes) as having no versions', () => {
    expect(parse('org/apache/maven/plugins/maven-metadata.xml', fixture('plugins.group.maven-metadata.xml')).versions).toEqual([]);
  });

  it('leaves out versions that could not be a path segment', () => {
    const xml = '<metadata><groupId>org.acme</groupId><artifactId>lib</artifactId><versioning><versions><version>1.0</version><version>../../x</version><version>2.0 beta</version><version>1.0</version></versions></versioning></metadata>';
    expect(parse('org/acme/lib/maven-metadata.xml', xml).versions.map((v) => v.version)).toEqual(['1.0']);
    expect(values(uncommented(render('org/acme/lib/maven-metadata.xml', xml)), 'version')).toEqual(['1.0', '1.0']);
  });

  it('refuses what is not maven-metadata.xml, or another artifact\'s', () => {
    expect(() => parse(JUNIT, '<html><body>Not Found</body></html>')).toThrow(/not a maven-metadata.xml document/);
    expect(() => parse(JUNIT, '{"versions": []}')).toThrow(/not a maven-metadata.xml document/);
    expect(() => parse('org/acme/lib/maven-metadata.xml', fixture('junit.maven-metadata.xml'))).toThrow(/upstream answered the metadata of junit:junit when asked for org.acme:lib/);
    expect(() => parse('org/apache/maven/maven-core/3.9.9-SNAPSHOT/maven-metadata.xml', fixture('maven-core.snapshot.maven-metadata.xml'))).toThrow(/4.0.0-SNAPSHOT/);
  });
});

describe('rendering maven-metadata.xml', () => {
  it('passes the document through byte for byte when nothing is hidden', () => {
    for (const [path, file] of [
      [JUNIT, 'junit.maven-metadata.xml'],
      [GUAVA, 'guava.maven-metadata.xml'],
      ['org/apache/maven/plugins/maven-metadata.xml', 'plugins.group.maven-metadata.xml'],
      ['org/apache/maven/maven-core/4.0.0-SNAPSHOT/maven-metadata.xml', 'maven-core.snapshot.maven-metadata.xml'],
    ] as const) {
      expect(render(path, fixture(file)), file).toBe(fixture(file).toString('latin1'));
    }
  });

  it('removes hidden versions and moves latest and release to the newest visible one', () => {
    const xml = render(JUNIT, fixture('junit.maven-metadata.xml'), { '4.13.2': 'junit:junit@4.13.2 was published at X', '4.13.1': 'junit:junit@4.13.1 was published at Y' });
    const maven = uncommented(xml);
    expect(values(maven, 'version')).not.toContain('4.13.2');
    expect(values(maven, 'version')).not.toContain('4.13.1');
    expect(values(maven, 'version').at(-1)).toBe('4.13');
    expect(values(maven, 'latest')).toEqual(['4.13']);
    expect(values(maven, 'release')).toEqual(['4.13']);
    // Everything else is untouched, and the file still reads as XML of the same shape.
    expect(values(maven, 'lastUpdated')).toEqual(['20210213164433']);
    expect(values(maven, 'groupId')).toEqual(['junit']);
    expect(xml.trimEnd().endsWith('</metadata>')).toBe(true);
    expect(xml.trimEnd().split('\n').filter((line) => line.trim() === '')).toEqual([]);
  });

  it('says why a version is hidden in a comment, with no "--" inside it', () => {
    const xml = render(JUNIT, fixture('junit.maven-metadata.xml'), { '4.13.2': 'junit:junit@4.13.2 -- inside the 3d cooldown' });
    expect(xml).toContain('<!-- pkgproxy hides 4.13.2: junit:junit@4.13.2 - - inside the 3d cooldown -->');
    expect(render(JUNIT, fixture('junit.maven-metadata.xml'), { '9.9': 'not listed' })).not.toContain('pkgproxy hides');
  });

  it('never moves release to a SNAPSHOT, and removes tags with nothing left to point at', () => {
    const xml = '<metadata><groupId>org.acme</groupId><artifactId>lib</artifactId><versioning><latest>2.0</latest><release>2.0</release><versions><version>1.0</version><version>1.1-SNAPSHOT</version><version>2.0</version></versions></versioning></metadata>';
    const moved = uncommented(render('org/acme/lib/maven-metadata.xml', xml, { '2.0': 'fresh' }));
    expect(values(moved, 'latest')).toEqual(['1.1-SNAPSHOT']);
    expect(values(moved, 'release')).toEqual(['1.0']);
    const empty = uncommented(render('org/acme/lib/maven-metadata.xml', xml, { '1.0': 'a', '1.1-SNAPSHOT': 'b', '2.0': 'c' }));
    expect(values(empty, 'version')).toEqual([]);
    expect(empty).not.toContain('<latest>');
    expect(empty).not.toContain('<release>');
    expect(empty).toContain('<versions></versions>');
  });

  it('keeps a SNAPSHOT as latest when only an older release is hidden', () => {
    const route = 'org/apache/maven/maven-core/maven-metadata.xml';
    const xml = uncommented(render(route, fixture('maven-core.maven-metadata.xml'), { '3.9.9-SNAPSHOT': 'hidden' }));
    expect(values(xml, 'version')).toEqual(['4.0.0-SNAPSHOT']);
    expect(values(xml, 'latest')).toEqual(['4.0.0-SNAPSHOT']);
  });

  it('answers the checksum variants with the digest of the rendered document', () => {
    const hidden = { '4.13.2': 'fresh' };
    const xml = Buffer.from(render(JUNIT, fixture('junit.maven-metadata.xml'), hidden), 'latin1');
    for (const algorithm of ['sha1', 'md5', 'sha256', 'sha512']) {
      const sidecar = render(`${JUNIT}.${algorithm}`, fixture('junit.maven-metadata.xml'), hidden);
      expect(sidecar, algorithm).toBe(createHash(algorithm).update(xml).digest('hex'));
    }
    const route = metadataRoute(`${JUNIT}.sha1`);
    const rendered = maven.render(route, parse(JUNIT, fixture('junit.maven-metadata.xml')), { mountUrl: MOUNT, hidden: new Map() });
    expect(rendered.contentType).toBe('text/plain');
    expect(maven.render(metadataRoute(JUNIT), parse(JUNIT, fixture('junit.maven-metadata.xml')), { mountUrl: MOUNT, hidden: new Map() }).contentType).toBe('text/xml');
  });

  it('refuses the document of a hidden SNAPSHOT with 403 and the reason', () => {
    const path = 'org/apache/maven/maven-core/4.0.0-SNAPSHOT/maven-metadata.xml';
    const parsed = parse(path, fixture('maven-core.snapshot.maven-metadata.xml'));
    let thrown: unknown;
    try {
      maven.render(metadataRoute(path), parsed, { mountUrl: MOUNT, hidden: new Map([['4.0.0-SNAPSHOT', 'org.apache.maven:maven-core@4.0.0-SNAPSHOT was published at X']]) });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    expect((thrown as HttpError).status).toBe(403);
    expect((thrown as HttpError).message).toBe('refused by policy: org.apache.maven:maven-core@4.0.0-SNAPSHOT was published at X');
  });

  it('keeps bytes outside ASCII as upstream sent them', () => {
    const latin1 = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?>\n<metadata><!-- '),
      Buffer.from([0xe9, 0xe8]),
      Buffer.from(' --><groupId>org.acme</groupId><artifactId>lib</artifactId><versioning><versions><version>1.0</version><version>2.0</version></versions></versioning></metadata>'),
    ]);
    const out = Buffer.from(render('org/acme/lib/maven-metadata.xml', latin1, { '2.0': 'fresh' }), 'latin1');
    expect(out.includes(Buffer.from([0xe9, 0xe8]))).toBe(true);
    expect(values(uncommented(out.toString('latin1')), 'version')).toEqual(['1.0']);
  });
});
