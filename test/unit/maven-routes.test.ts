import { describe, expect, it } from 'vitest';
import { configSchema } from '../../shared/config/schema.js';
import { createMaven } from '../../shared/ecosystems/maven/index.js';
import type { MetadataRoute } from '../../shared/ecosystems/types.js';
import { routeTester } from '../helpers/route-tester.js';

const maven = createMaven(configSchema.parse({}));

const { route, metadata, artifact, refusal } = routeTester(maven);

const LIB_METADATA: MetadataRoute = {
  kind: 'metadata',
  package: 'org.acme:lib',
  docKey: 'org/acme/lib/maven-metadata.xml',
  upstreamPath: 'org/acme/lib/maven-metadata.xml',
  upstreamAccept: 'application/xml, text/xml;q=0.9, */*;q=0.5',
  variant: 'xml',
};

describe('Maven metadata routes', () => {
  it('routes an artifact-level maven-metadata.xml, groupId dots as slashes, package groupId:artifactId', () => {
    expect(metadata('org/acme/lib/maven-metadata.xml')).toEqual(LIB_METADATA);
    expect(metadata('junit/junit/maven-metadata.xml').package).toBe('junit:junit');
    expect(metadata('com/google/guava/guava/maven-metadata.xml').package).toBe('com.google.guava:guava');
  });

  it('renders the checksum sidecars of maven-metadata.xml from the same document', () => {
    for (const algorithm of ['sha1', 'md5', 'sha256', 'sha512']) {
      expect(metadata(`org/acme/lib/maven-metadata.xml.${algorithm}`)).toEqual({ ...LIB_METADATA, variant: algorithm });
    }
  });

  it('routes a SNAPSHOT version directory to its own document, judged as the artifact', () => {
    const snapshot = metadata('org/acme/lib/1.1-SNAPSHOT/maven-metadata.xml');
    expect(snapshot.package).toBe('org.acme:lib');
    expect(snapshot.docKey).toBe('org/acme/lib/1.1-SNAPSHOT/maven-metadata.xml');
    expect(snapshot.upstreamPath).toBe('org/acme/lib/1.1-SNAPSHOT/maven-metadata.xml');
    // A release directory has no metadata of its own: "1.0" is read as an artifactId.
    expect(metadata('org/acme/lib/1.0/maven-metadata.xml').package).toBe('org.acme.lib:1.0');
  });

  it('routes a group-level document (plugin prefixes) like an artifact-level one', () => {
    expect(metadata('org/apache/maven/plugins/maven-metadata.xml').package).toBe('org.apache.maven:plugins');
  });
});

describe('Maven artifact routes', () => {
  it('routes a jar with its version, its sidecars to verify against and its artifact-level metadata', () => {
    expect(artifact('org/acme/lib/1.0.0/lib-1.0.0.jar')).toEqual({
      kind: 'artifact',
      package: 'org.acme:lib',
      path: 'org/acme/lib/1.0.0/lib-1.0.0.jar',
      upstreamPath: 'org/acme/lib/1.0.0/lib-1.0.0.jar',
      metadata: LIB_METADATA,
      self: {
        version: '1.0.0',
        checksumSidecars: [
          { algorithm: 'sha1', upstreamPath: 'org/acme/lib/1.0.0/lib-1.0.0.jar.sha1' },
          { algorithm: 'sha512', upstreamPath: 'org/acme/lib/1.0.0/lib-1.0.0.jar.sha512' },
        ],
      },
    });
  });

  it('routes every file of a version directory: POM, classifiers, other extensions', () => {
    for (const file of ['lib-1.0.0.pom', 'lib-1.0.0-sources.jar', 'lib-1.0.0-javadoc.jar', 'lib-1.0.0.module', 'lib-1.0.0-bin.tar.gz', 'lib-1.0.0-linux-x86_64.exe']) {
      const r = artifact(`org/acme/lib/1.0.0/${file}`);
      expect(r.self?.version, file).toBe('1.0.0');
      expect(r.self?.checksumSidecars?.map((s) => s.upstreamPath), file).toEqual([`org/acme/lib/1.0.0/${file}.sha1`, `org/acme/lib/1.0.0/${file}.sha512`]);
      expect(r.mutable, file).toBeUndefined();
    }
  });

  it('serves checksum files and signatures as files of the version, verified against nothing', () => {
    for (const file of ['lib-1.0.0.jar.sha1', 'lib-1.0.0.jar.md5', 'lib-1.0.0.jar.sha256', 'lib-1.0.0.pom.sha512', 'lib-1.0.0.jar.asc', 'lib-1.0.0.jar.asc.sha1']) {
      const r = artifact(`org/acme/lib/1.0.0/${file}`);
      expect(r.path).toBe(`org/acme/lib/1.0.0/${file}`);
      expect(r.self, file).toEqual({ version: '1.0.0' });
      expect(r.package).toBe('org.acme:lib');
    }
  });

  it('marks a SNAPSHOT file that keeps its name mutable, and timestamped builds immutable', () => {
    const plain = artifact('org/acme/lib/1.1-SNAPSHOT/lib-1.1-SNAPSHOT.jar');
    expect(plain.mutable).toBe(true);
    expect(plain.self?.version).toBe('1.1-SNAPSHOT');
    expect(artifact('org/acme/lib/1.1-SNAPSHOT/lib-1.1-SNAPSHOT.jar.sha1').mutable).toBe(true);
    const build = artifact('org/acme/lib/1.1-SNAPSHOT/lib-1.1-20240102.030405-7.jar');
    expect(build.mutable).toBeUndefined();
    expect(build.self?.version).toBe('1.1-SNAPSHOT');
    expect(artifact('org/acme/lib/1.1-SNAPSHOT/lib-1.1-20240102.030405-7-sources.jar').self?.version).toBe('1.1-SNAPSHOT');
  });

  it('refuses files that are not of the directory they sit in (404)', () => {
    expect(refusal('org/acme/lib/1.0.0/other-1.0.0.jar').status).toBe(404);
    expect(refusal('org/acme/lib/1.0.0/lib-1.0.1.jar').status).toBe(404);
    expect(refusal('org/acme/lib/1.0.0/lib-1.0.0').status).toBe(404);
    expect(refusal('org/acme/lib/1.0.0/_remote.repositories').status).toBe(404);
    expect(refusal('org/acme/lib/1.1-SNAPSHOT/lib-1.1-2024.jar').status).toBe(404);
    expect(refusal('org/acme/lib/1.1-SNAPSHOT/lib-1.0-20240102.030405-7.jar').status).toBe(404);
  });

  it('refuses paths too short to name a file of a version (404), and directory listings', () => {
    expect(refusal('lib/1.0.0/lib-1.0.0.jar').message).toContain('not a Maven repository path');
    expect(refusal('maven-metadata.xml').status).toBe(404);
    expect(refusal('org/acme/lib/').message).toContain('directory listings');
    expect(refusal('').status).toBe(404);
  });

  it('refuses traversal, encoded slashes and odd characters with 400', () => {
    for (const path of [
      '../etc/passwd',
      'org/acme/../../etc/passwd',
      'org/%2e%2e/lib/1.0/lib-1.0.jar',
      'org/acme%2flib/1.0/lib-1.0.jar',
      'org/acme/lib/1.0/..%2flib-1.0.jar',
      'org//lib/1.0/lib-1.0.jar',
      'org/acme/lib/1.0/lib 1.0.jar',
      'org/acme/lib/.hidden/maven-metadata.xml',
      `org/acme/${'a'.repeat(300)}/maven-metadata.xml`,
    ]) {
      expect(refusal(path).status, path).toBe(400);
    }
    expect(refusal('org/%zz/lib/maven-metadata.xml').message).toBe('malformed percent-encoding in path');
  });

  it('is read-only: deploys are refused with 405', () => {
    const error = refusal('org/acme/lib/1.0.0/lib-1.0.0.jar', 'PUT');
    expect(error.status).toBe(405);
    expect(error.headers.allow).toBe('GET, HEAD');
    expect(route('org/acme/lib/1.0.0/lib-1.0.0.jar', 'HEAD').kind).toBe('artifact');
  });
});

describe('Maven content types and errors', () => {
  it('names the content type of each kind of file', () => {
    expect(maven.artifactContentType('org/acme/lib/1.0/lib-1.0.jar')).toBe('application/java-archive');
    expect(maven.artifactContentType('org/acme/lib/1.0/lib-1.0.pom')).toBe('text/xml');
    expect(maven.artifactContentType('org/acme/lib/1.0/lib-1.0.jar.sha1')).toBe('text/plain');
    expect(maven.artifactContentType('org/acme/lib/1.0/lib-1.0.jar.asc')).toBe('application/pgp-signature');
    expect(maven.artifactContentType('org/acme/lib/1.0/lib-1.0.tar.gz')).toBe('application/octet-stream');
  });

  it('puts the reason in the status line, which is what Maven prints', () => {
    const error = maven.errorBody(403, 'refused by policy: org.acme:lib@1.1.0 was published at 2026-01-01T00:00:00.000Z');
    expect(error.statusMessage).toBe('refused by policy: org.acme:lib@1.1.0 was published at 2026-01-01T00:00:00.000Z');
    expect(error.body).toBe('refused by policy: org.acme:lib@1.1.0 was published at 2026-01-01T00:00:00.000Z\n');
    expect(error.contentType).toMatch(/^text\/plain/);
  });
});
