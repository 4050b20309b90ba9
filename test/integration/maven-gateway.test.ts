import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifacts, type BuiltArtifact, type JavaArtifact } from '../helpers/maven-artifacts.js';
import { DAY, FakeMavenRepository, HOUR } from '../helpers/maven-upstream.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { get, raw } from '../helpers/http.js';

const digest = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

const lib = (artifactId: string, version: string, extra: Partial<JavaArtifact> = {}): JavaArtifact => ({ groupId: 'org.acme', artifactId, version, ...extra });
const PARENT = lib('acme-parent', '1', { packaging: 'pom' });
const GREETER_OLD = lib('greeter', '1.0.0', { parent: PARENT });
const GREETER_FRESH = lib('greeter', '1.1.0', { parent: PARENT });
const LONE_OLD = lib('lone', '1.0');
const LONE_FRESH = lib('lone', '2.0');
const TAMPERED = lib('tampered', '1.0.0');
const SNAPSHOT = lib('snappy', '1.1-SNAPSHOT');
const SECOND_ONLY = lib('elsewhere', '3.0');

describe('Maven through the gateway', () => {
  const upstream = new FakeMavenRepository();
  const second = new FakeMavenRepository();
  /** cooldown.ecosystems.maven = 3d, upstreams: the fake repository, then the second one. */
  let proxy: RunningProxy;
  let built: Map<JavaArtifact, BuiltArtifact>;
  const url = (path: string) => `${proxy.url}maven/${path}`;

  beforeAll(async () => {
    await Promise.all([upstream.start(), second.start()]);
    const all = [PARENT, GREETER_OLD, GREETER_FRESH, LONE_OLD, LONE_FRESH, TAMPERED, SNAPSHOT, SECOND_ONLY];
    const artifacts = await buildArtifacts(all);
    built = new Map(all.map((spec, i) => [spec, artifacts[i]!]));
    upstream.publish(built.get(PARENT)!, { age: 100 * DAY });
    upstream.publish(built.get(GREETER_OLD)!, { age: 30 * DAY });
    upstream.publish(built.get(GREETER_FRESH)!, { age: 2 * HOUR });
    upstream.publish(built.get(LONE_OLD)!, { age: 40 * DAY });
    upstream.publish(built.get(LONE_FRESH)!, { age: HOUR });
    upstream.publish(built.get(TAMPERED)!, { age: 30 * DAY, corrupt: true });
    second.publish(built.get(SECOND_ONLY)!, { age: 10 * DAY });
    proxy = await startProxy({ upstreams: { maven: [upstream.url, second.url] }, cooldown: { ecosystems: { maven: '3d' } } });
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all([upstream.stop(), second.stop()]);
  });
  afterEach(() => upstream.faults.clear());

  it('fetches maven-metadata.xml once, hides the fresh version and moves latest and release', async () => {
    const cold = await get(url('org/acme/greeter/maven-metadata.xml'));
    const warm = await get(url('org/acme/greeter/maven-metadata.xml'));
    expect(cold.status).toBe(200);
    expect(warm.text).toBe(cold.text);
    expect(cold.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(upstream.count(/^org\/acme\/greeter\/maven-metadata\.xml$/)).toBe(1);
    const maven = cold.text.replace(/<!--[\s\S]*?-->/g, '');
    expect([...maven.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1])).toEqual(['1.0.0']);
    expect(maven).toContain('<latest>1.0.0</latest>');
    expect(maven).toContain('<release>1.0.0</release>');
    expect(cold.text).toMatch(/<!-- pkgproxy hides 1\.1\.0: org\.acme:greeter@1\.1\.0 was published at [\dT:.Z-]+, inside the 3d cooldown set by cooldown\.ecosystems\.maven/);
    // Publish times came from the POMs' Last-Modified, newest first, stopping at the first old one.
    expect(upstream.requests.filter((r) => r.method === 'HEAD').map((r) => r.path)).toEqual(['org/acme/greeter/1.1.0/greeter-1.1.0.pom', 'org/acme/greeter/1.0.0/greeter-1.0.0.pom']);
  });

  it('serves checksums of the metadata it rendered, which upstream never wrote', async () => {
    const xml = (await get(url('org/acme/greeter/maven-metadata.xml'))).body;
    for (const algorithm of ['sha1', 'md5', 'sha256', 'sha512']) {
      const sidecar = await get(url(`org/acme/greeter/maven-metadata.xml.${algorithm}`));
      expect(sidecar.status).toBe(200);
      expect(sidecar.text, algorithm).toBe(digest(algorithm, xml));
    }
    expect(upstream.count(/maven-metadata\.xml\./)).toBe(0);
  });

  it('downloads a POM and a jar once, verified against upstream checksums, and serves their sidecars', async () => {
    const jarBytes = upstream.fileBytes(GREETER_OLD, 'jar');
    const jar = await get(url('org/acme/greeter/1.0.0/greeter-1.0.0.jar'));
    expect(jar.status).toBe(200);
    expect(jar.body.equals(jarBytes)).toBe(true);
    expect(jar.headers.get('content-type')).toBe('application/java-archive');
    expect((await get(url('org/acme/greeter/1.0.0/greeter-1.0.0.jar'))).body.equals(jarBytes)).toBe(true);
    expect(upstream.count(/greeter-1\.0\.0\.jar$/, 'GET')).toBe(1);
    // The fetcher read the .sha1 and .sha512 it verified the jar against.
    expect(upstream.count(/greeter-1\.0\.0\.jar\.sha1$/)).toBe(1);
    expect(upstream.count(/greeter-1\.0\.0\.jar\.sha512$/)).toBe(1);

    for (const algorithm of ['sha1', 'md5', 'sha256', 'sha512']) {
      const sidecar = await get(url(`org/acme/greeter/1.0.0/greeter-1.0.0.jar.${algorithm}`));
      expect(sidecar.status, algorithm).toBe(200);
      expect(sidecar.text, algorithm).toBe(digest(algorithm, jarBytes));
      expect(sidecar.headers.get('content-type')).toBe('text/plain');
    }
    const pom = await get(url('org/acme/greeter/1.0.0/greeter-1.0.0.pom'));
    expect(pom.text).toContain('<artifactId>acme-parent</artifactId>');
    const parent = await get(url('org/acme/acme-parent/1/acme-parent-1.pom'));
    expect(parent.status).toBe(200);
    expect(parent.body.equals(upstream.fileBytes(PARENT, 'pom'))).toBe(true);

    expect((await get(url('org/acme/greeter/1.0.0/greeter-1.0.0.pom.sha1'))).text).toBe(digest('sha1', pom.body));

    // Warm: nothing of this version is fetched again, sidecars included.
    const before = upstream.requests.length;
    for (const file of ['greeter-1.0.0.jar', 'greeter-1.0.0.jar.sha1', 'greeter-1.0.0.pom', 'greeter-1.0.0.pom.sha1']) {
      expect((await get(url(`org/acme/greeter/1.0.0/${file}`))).status).toBe(200);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses every file of a hidden version with 403, naming version, publish time and rule', async () => {
    for (const file of ['greeter-1.1.0.jar', 'greeter-1.1.0.pom', 'greeter-1.1.0.jar.sha1']) {
      const refused = await raw(proxy.url, `/maven/org/acme/greeter/1.1.0/${file}`);
      expect(refused.status, file).toBe(403);
      expect(refused.text, file).toMatch(/^refused by policy: org\.acme:greeter@1\.1\.0 was published at \d{4}-\d\d-\d\dT[\d:.]+Z, inside the 3d cooldown set by cooldown\.ecosystems\.maven; it becomes available at /);
      // Maven prints the status line, so the reason is there too.
      expect(refused.statusMessage, file).toBe(refused.text.trim());
    }
  });

  it('judges a version asked for directly, with no metadata fetched, by its POM', async () => {
    const refused = await get(url('org/acme/lone/2.0/lone-2.0.jar'));
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('org.acme:lone@2.0 was published at');
    const allowed = await get(url('org/acme/lone/1.0/lone-1.0.jar'));
    expect(allowed.status).toBe(200);
    expect(allowed.body.equals(upstream.fileBytes(LONE_OLD, 'jar'))).toBe(true);
    expect(upstream.count(/^org\/acme\/lone\/maven-metadata\.xml/)).toBe(0);
    expect(upstream.count(/lone-2\.0\.pom$/, 'HEAD')).toBe(1);
  });

  it('refuses a jar that does not match its checksum files with 502, and stores nothing', async () => {
    const first = await get(url('org/acme/tampered/1.0.0/tampered-1.0.0.jar'));
    expect(first.status).toBe(502);
    expect(first.text).toContain('integrity check failed for org/acme/tampered/1.0.0/tampered-1.0.0.jar');
    const second = await get(url('org/acme/tampered/1.0.0/tampered-1.0.0.jar'));
    expect(second.status).toBe(502);
    // Each request tried upstream again (the queue retries a failed download too).
    expect(upstream.count(/tampered-1\.0\.0\.jar$/, 'GET')).toBeGreaterThanOrEqual(2);
    const row = await proxy.ctx.db.selectFrom('artifacts').selectAll().where('ecosystem', '=', 'maven').where('path', '=', 'org/acme/tampered/1.0.0/tampered-1.0.0.jar').executeTakeFirst();
    expect(row?.blob_sha256 ?? null).toBeNull();
  });

  it('tries the upstreams in order', async () => {
    const jar = await get(url('org/acme/elsewhere/3.0/elsewhere-3.0.jar'));
    expect(jar.status).toBe(200);
    expect(jar.body.equals(second.fileBytes(SECOND_ONLY, 'jar'))).toBe(true);
    expect(upstream.count(/elsewhere-3\.0\.jar$/, 'GET')).toBe(1);
    expect(second.count(/elsewhere-3\.0\.jar$/, 'GET')).toBe(1);
  });

  it('answers 404 for what no upstream has, and 502 naming the upstream when it fails', async () => {
    const missing = await get(url('org/acme/nothing/maven-metadata.xml'));
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('org.acme:nothing');
    expect((await get(url('org/acme/greeter/9.9/greeter-9.9.jar'))).status).toBe(404);

    upstream.faults.set(/^org\/acme\/broken\//, '500');
    second.faults.set(/^org\/acme\/broken\//, '500');
    const broken = await get(url('org/acme/broken/1.0/broken-1.0.pom'));
    second.faults.clear();
    expect(broken.status).toBe(502);
    expect(broken.text).toContain('127.0.0.1');
  });

  it('rejects bad input with a one-line reason', async () => {
    const cases: Array<[string, number, string]> = [
      ['/maven/../../etc/passwd', 400, 'invalid Maven path segment'],
      ['/maven/org/%2e%2e/%2e%2e/etc/passwd', 400, 'invalid Maven path segment'],
      ['/maven/org/acme%2f..%2f..%2fetc/lib/maven-metadata.xml', 400, 'invalid Maven path segment'],
      ['/maven/org/acme/greeter/1.0.0/other-1.0.0.jar', 404, 'is not a file of org.acme:greeter:1.0.0'],
      ['/maven/org/acme/greeter/', 404, 'directory listings are not served'],
      ['/maven/greeter-1.0.0.jar', 404, 'not a Maven repository path'],
      [`/maven/org/${'a'.repeat(5000)}/maven-metadata.xml`, 400, 'longer than'],
    ];
    for (const [path, status, reason] of cases) {
      const response = await raw(proxy.url, path);
      expect(response.status, path).toBe(status);
      expect(response.text, path).toContain(reason);
      expect(response.text.trim().split('\n'), path).toHaveLength(1);
    }
    const put = await raw(proxy.url, '/maven/org/acme/greeter/1.0.0/greeter-1.0.0.jar', 'PUT');
    expect(put.status).toBe(405);
    expect(put.text).toContain('read-only Maven repository');
  });
});

describe('Maven SNAPSHOTs through the gateway', () => {
  const upstream = new FakeMavenRepository();
  let proxy: RunningProxy;
  let builds: BuiltArtifact[];

  beforeAll(async () => {
    await upstream.start();
    builds = await buildArtifacts([SNAPSHOT, { ...SNAPSHOT, sources: { 'org/acme/Rebuilt.java': 'package org.acme; public class Rebuilt {}' } }, GREETER_OLD]);
    upstream.publish(builds[0]!, { age: DAY });
    upstream.publish(builds[2]!, { age: 30 * DAY });
    proxy = await startProxy({ upstreams: { maven: upstream.url }, metadata_ttl: '300ms' });
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream.stop();
  });

  it('revalidates a SNAPSHOT jar and its metadata after metadata_ttl, but never a release jar', async () => {
    const jarUrl = `${proxy.url}maven/org/acme/snappy/1.1-SNAPSHOT/snappy-1.1-SNAPSHOT.jar`;
    const releaseUrl = `${proxy.url}maven/org/acme/greeter/1.0.0/greeter-1.0.0.jar`;
    const metadataUrl = `${proxy.url}maven/org/acme/snappy/1.1-SNAPSHOT/maven-metadata.xml`;
    const snapshot = await get(jarUrl);
    expect(snapshot.body.equals(builds[0]!.jar!)).toBe(true);
    // Caches in front must not keep a SNAPSHOT for a year, as they may a release.
    expect(snapshot.headers.get('cache-control')).not.toContain('immutable');
    const release = await get(releaseUrl);
    expect(release.status).toBe(200);
    expect(release.headers.get('cache-control')).toContain('immutable');
    const firstMetadata = await get(metadataUrl);
    expect(firstMetadata.text).toContain('<version>1.1-SNAPSHOT</version>');
    expect(builds[1]!.jar!.equals(builds[0]!.jar!)).toBe(false);

    upstream.publish(builds[1]!, { age: 0 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await get(jarUrl)).body.equals(builds[1]!.jar!)).toBe(true);
    expect((await get(`${jarUrl}.sha1`)).text).toBe(digest('sha1', builds[1]!.jar!));
    expect((await get(releaseUrl)).status).toBe(200);
    expect(upstream.count(/greeter-1\.0\.0\.jar$/, 'GET')).toBe(1);
    expect(upstream.count(/snappy-1\.1-SNAPSHOT\.jar$/, 'GET')).toBe(2);

    // Metadata past its TTL is answered at once and revalidated behind the client's back.
    await get(metadataUrl);
    await expect.poll(async () => (await get(metadataUrl)).text, { timeout: 5000 }).not.toBe(firstMetadata.text);
    expect(upstream.count(/1\.1-SNAPSHOT\/maven-metadata\.xml$/, 'GET')).toBeGreaterThanOrEqual(2);
  });
});
