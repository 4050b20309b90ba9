import type { VersionSeen } from '../../db/versions.js';
import type { CompletionContext, MetadataRoute } from '../types.js';
import { artifactDirectory, artifactIdOf, isSnapshot, METADATA_FILE } from './coordinates.js';

/** HEAD requests sent at once while dating versions. */
const CONCURRENCY = 8;

/**
 * Dates versions by the Last-Modified of what was deployed with them: a release's POM, a
 * SNAPSHOT's own maven-metadata.xml (its latest build). maven-metadata.xml carries no publish
 * times, and a popular artifact lists hundreds of versions, so not every one is asked about:
 * versions are dated newest first (the document lists them in deploy order) until one is
 * older than the cooldown; every version listed before that one was deployed before it, and
 * takes its time as an upper bound, which is all the cooldown needs to know. Versions already
 * dated cost nothing (context.known), so a refresh asks only about versions new upstream.
 *
 * With no cooldown nothing needs an age and nothing is asked; versions seen meanwhile are
 * dated as any undated version is (first seen, or unknown on a package's first fetch), and the
 * undated ones get asked about once a cooldown is configured.
 */
export async function datePublishTimes(route: MetadataRoute, versions: VersionSeen[], context: CompletionContext, cooldownMs: number): Promise<VersionSeen[]> {
  if (cooldownMs === 0) return versions;
  const cutoff = context.now - cooldownMs;
  const dated = versions.map((v) => ({ ...v }));
  const timeOf = (v: VersionSeen) => v.publishedAt ?? context.known.get(v.version)?.publishedAt ?? null;
  const undated = (v: VersionSeen) => timeOf(v) === null;

  // The newest-listed version older than the cutoff: its index in the list, and its time.
  let boundary: { index: number; time: number } | undefined;
  for (let end = dated.length; end > 0 && boundary === undefined; end -= CONCURRENCY) {
    const start = Math.max(0, end - CONCURRENCY);
    await Promise.all(
      dated.slice(start, end).reverse().filter(undated).map(async (v) => {
        v.publishedAt = await lastModified(context, datingPath(route.package, v.version));
      }),
    );
    for (let index = end - 1; index >= start && boundary === undefined; index--) {
      const time = timeOf(dated[index]!);
      if (time !== null && time <= cutoff) boundary = { index, time };
    }
  }
  if (boundary) {
    for (const v of dated.slice(0, boundary.index)) if (undated(v)) v.publishedAt = boundary.time;
  }
  return dated;
}

/** The file whose Last-Modified says when a version was deployed. */
function datingPath(pkg: string, version: string): string {
  const directory = `${artifactDirectory(pkg)}/${version}`;
  return isSnapshot(version) ? `${directory}/${METADATA_FILE}` : `${directory}/${artifactIdOf(pkg)}-${version}.pom`;
}

async function lastModified(context: CompletionContext, path: string): Promise<number | null> {
  const document = await context.fetch(path, { method: 'HEAD' });
  const time = Date.parse(document?.headers['last-modified'] ?? '');
  return Number.isNaN(time) ? null : time;
}
