import type { VersionSeen } from '../../db/versions.js';
import type { CompletionContext, MetadataRoute } from '../types.js';

interface ApiVersion {
  number?: unknown;
  platform?: unknown;
  created_at?: unknown;
}

/**
 * Publish times for the versions an /info file lists without one (all of them, on
 * rubygems.org), from the upstream's JSON API: GET api/v1/versions/<name>.json answers every
 * version of a gem with its created_at, so one request dates them all. Only versions never
 * dated before cost that request. An upstream without the API (a plain compact index mirror),
 * or one failing now, leaves them to be dated when first seen: the /info file is still served.
 */
export async function datePublishTimes(route: MetadataRoute, versions: VersionSeen[], context: CompletionContext): Promise<VersionSeen[]> {
  if (!route.docKey.startsWith('info/')) return versions;
  const undated = versions.filter((v) => v.publishedAt === null && (context.known.get(v.version)?.publishedAt ?? null) === null);
  if (undated.length === 0) return versions;

  let times: Map<string, number>;
  try {
    const document = await context.fetch(`api/v1/versions/${route.package}.json`, { accept: 'application/json' });
    if (!document) return versions;
    times = createdAtByVersion(document.body);
  } catch {
    return versions;
  }
  return versions.map((v) => (v.publishedAt === null && times.has(v.version) ? { ...v, publishedAt: times.get(v.version)! } : v));
}

/** [{number: "1.16.0", platform: "x86_64-linux", created_at: "…"}] → "1.16.0-x86_64-linux" → time. */
export function createdAtByVersion(body: Buffer): Map<string, number> {
  const entries = JSON.parse(body.toString('utf8')) as unknown;
  const times = new Map<string, number>();
  if (!Array.isArray(entries)) return times;
  for (const entry of entries as ApiVersion[]) {
    if (typeof entry?.number !== 'string' || typeof entry.created_at !== 'string') continue;
    const time = Date.parse(entry.created_at);
    if (Number.isNaN(time)) continue;
    const platform = typeof entry.platform === 'string' && entry.platform !== 'ruby' ? `-${entry.platform}` : '';
    times.set(`${entry.number}${platform}`, time);
  }
  return times;
}
