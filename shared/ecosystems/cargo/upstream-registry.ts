import { HttpError } from '../../http-error.js';
import type { VersionSeen } from '../../db/versions.js';
import type { ArtifactDeclaration, CompletionContext, MetadataRoute, ParsedMetadata } from '../types.js';
import type { IndexFile } from './index-file.js';
import { parseRegistryConfig, downloadUrl, type RegistryConfig } from './registry-config.js';
import { downloadPath } from './routes.js';

/**
 * What a crate's index file does not say, from the upstream that served it: where its .crate
 * files are (config.json's dl template) and, for lines without `pubtime`, when each version
 * was published (the web API's created_at). Each upstream's config.json is read once per
 * metadata_ttl, not once per index file.
 */
export class UpstreamRegistries {
  private readonly configs = new Map<string, { config: Promise<RegistryConfig>; expiresAt: number }>();

  constructor(private readonly ttlMs: number) {}

  async declareArtifacts(route: MetadataRoute, parsed: ParsedMetadata, context: CompletionContext): Promise<ArtifactDeclaration[]> {
    if (route.variant !== 'index') return parsed.artifacts;
    const { dl } = await this.config(route, context);
    return (parsed.document as IndexFile).entries.map((entry) => ({
      path: downloadPath(entry.name, entry.version),
      version: entry.version,
      upstreamUrl: downloadUrl(dl, entry),
      checksums: [{ algorithm: 'sha256', hex: entry.cksum }],
    }));
  }

  /**
   * Dates the versions neither their line nor an earlier fetch dated, from one request to
   * <api>/api/v1/crates/<name>/versions (crates.io answers every version with its created_at).
   * Without an answer they stay undated, and the proxy's first-seen time or
   * cooldown.unknown_publish_time decides.
   */
  async completeVersions(route: MetadataRoute, versions: VersionSeen[], context: CompletionContext): Promise<VersionSeen[]> {
    const undated = new Set(versions.filter((v) => v.publishedAt === null && (context.known.get(v.version)?.publishedAt ?? null) === null).map((v) => v.version));
    if (route.variant !== 'index' || undated.size === 0) return versions;
    let created: Map<string, number>;
    try {
      const { api } = await this.config(route, context);
      if (api === undefined) return versions;
      created = await createdAt(`${api.replace(/\/$/, '')}/api/v1/crates/${route.package}/versions`, context);
    } catch {
      // The API only adds dates; the index file is no less valid without them.
      return versions;
    }
    return versions.map((v) => (undated.has(v.version) && created.has(v.version) ? { ...v, publishedAt: created.get(v.version)! } : v));
  }

  /**
   * The config.json beside the index file being recorded, on the upstream that served it;
   * without a document URL, the first upstream's that answers.
   */
  private config(route: MetadataRoute, context: CompletionContext): Promise<RegistryConfig> {
    const { documentUrl } = context;
    const url = documentUrl?.endsWith(route.upstreamPath) ? `${documentUrl.slice(0, -route.upstreamPath.length)}config.json` : 'config.json';
    const now = context.now;
    const cached = this.configs.get(url);
    if (cached && now < cached.expiresAt) return cached.config;
    const config = fetchConfig(url, context);
    this.configs.set(url, { config, expiresAt: now + this.ttlMs });
    config.catch(() => this.configs.delete(url));
    return config;
  }
}

async function fetchConfig(url: string, context: CompletionContext): Promise<RegistryConfig> {
  const document = await context.fetch(url, { accept: 'application/json' });
  if (!document) throw new HttpError(502, `the upstream Cargo registry has no ${url}`);
  try {
    return parseRegistryConfig(document.body);
  } catch (err) {
    throw new HttpError(502, `upstream ${document.url} is not a Cargo registry's config: ${(err as Error).message}`);
  }
}

async function createdAt(url: string, context: CompletionContext): Promise<Map<string, number>> {
  const document = await context.fetch(url, { accept: 'application/json' });
  const created = new Map<string, number>();
  if (!document) return created;
  const { versions } = JSON.parse(document.body.toString('utf8')) as { versions?: unknown };
  if (!Array.isArray(versions)) return created;
  for (const v of versions as Array<{ num?: unknown; created_at?: unknown }>) {
    const ms = typeof v?.created_at === 'string' ? Date.parse(v.created_at) : NaN;
    if (typeof v?.num === 'string' && !Number.isNaN(ms)) created.set(v.num, ms);
  }
  return created;
}
