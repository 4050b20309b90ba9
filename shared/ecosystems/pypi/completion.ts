import type { VersionSeen } from '../../db/versions.js';
import type { CompletionContext, MetadataRoute } from '../types.js';
import { parseJsonApi } from './json-api.js';
import { jsonApiRoute } from './routes.js';

/**
 * Project pages without PEP 700 upload times (HTML-only indexes, JSON before api-version 1.1)
 * are dated from the project's JSON API document, one request for all of its versions, and
 * only when a version was never dated before.
 */
export async function completeFromJsonApi(route: MetadataRoute, versions: VersionSeen[], context: CompletionContext): Promise<VersionSeen[]> {
  const undated = versions.filter((v) => v.publishedAt === null && (context.known.get(v.version)?.publishedAt ?? null) === null);
  if (!route.docKey.startsWith('simple/') || undated.length === 0) return versions;
  let dated: Map<string, number | null>;
  try {
    const document = await context.fetch(jsonApiRoute(route.package).upstreamPath, { accept: 'application/json' });
    if (!document) return versions;
    dated = new Map(parseJsonApi(route.package, document.body).versions.map((v) => [v.version, v.publishedAt]));
  } catch {
    // A failing or unusable JSON API must not fail the project page: its versions stay undated.
    return versions;
  }
  return versions.map((v) => (v.publishedAt === null ? { ...v, publishedAt: dated.get(v.version) ?? null } : v));
}
