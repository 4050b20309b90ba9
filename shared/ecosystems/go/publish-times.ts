import type { VersionSeen } from '../../db/versions.js';
import type { CompletionContext, MetadataRoute } from '../types.js';
import { parseInfoJson } from './documents.js';
import { escapeCase } from './paths.js';

/** .info requests in flight at once for one module: a cold list of a big module names hundreds of versions. */
const CONCURRENT_INFO_FETCHES = 8;

/**
 * A version list carries no publish times: each version's time is the Time of its .info.
 * Versions dated by an earlier fetch cost nothing. A version whose .info upstream does not
 * have (404: the go command probes module path prefixes like "example.com/@v/v1.0.0.info")
 * does not exist and is left out, so it is never recorded. One whose .info cannot be had
 * stays undated, so that unknown_publish_time (first fetch) or its first-seen time decides,
 * and it is asked for again on the next refresh.
 */
export async function completePublishTimes(route: MetadataRoute, versions: VersionSeen[], context: CompletionContext): Promise<VersionSeen[]> {
  if (route.variant !== 'list') return versions;
  const undated = versions.filter((v) => v.publishedAt === null && (context.known.get(v.version)?.publishedAt ?? null) === null);
  const times = new Map<string, InfoTime>();
  let next = 0;
  const worker = async () => {
    while (next < undated.length) {
      const { version } = undated[next++]!;
      times.set(version, await infoTime(route.package, version, context));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_INFO_FETCHES, undated.length) }, worker));
  return versions.flatMap((v) => {
    const time = times.get(v.version);
    if (time === 'absent') return [];
    return time == null ? [v] : [{ ...v, publishedAt: time }];
  });
}

/** A publish time, null when it cannot be had now, or 'absent' when upstream has no such version. */
type InfoTime = number | null | 'absent';

async function infoTime(module: string, version: string, context: CompletionContext): Promise<InfoTime> {
  try {
    const info = await context.fetch(`${escapeCase(module)}/@v/${escapeCase(version)}.info`, { accept: 'application/json' });
    if (!info) return 'absent';
    const { version: stated, time } = parseInfoJson(info.body, module);
    return stated === version ? time : null;
  } catch {
    // An upstream fault or a bad .info: the version stays undated rather than failing the whole list.
    return null;
  }
}
