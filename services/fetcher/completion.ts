import type { Context } from '../../shared/context.js';
import { listVersions, syncVersions, type VersionSeen } from '../../shared/db/versions.js';
import type { ArtifactDeclaration, CompletionContext, Ecosystem, MetadataRoute, ParsedMetadata, UpstreamDocument } from '../../shared/ecosystems/types.js';
import { UpstreamError, originOf } from '../../shared/upstream/client.js';
import { readBody } from '../../shared/upstream/read-body.js';
import { upstreamUrls } from '../../shared/upstream/urls.js';

/** What a module's completeVersions hook may use: the upstreams, bounded, and what is known. */
export function completionContext(ctx: Context, module: Ecosystem, known: CompletionContext['known'], documentUrl?: string): CompletionContext {
  return {
    known,
    now: Date.now(),
    ...(documentUrl === undefined ? {} : { documentUrl }),
    async fetch(pathOrUrl, init = {}): Promise<UpstreamDocument | undefined> {
      const urls = /^https?:\/\//.test(pathOrUrl) ? [pathOrUrl] : upstreamUrls(ctx.config, module.name, pathOrUrl);
      const headers: Record<string, string> = { 'accept-encoding': 'gzip, br', ...(init.accept ? { accept: init.accept } : {}) };
      const response = await ctx.upstream.fetch(module.name, urls, { method: init.method ?? 'GET', headers });
      if (response.status === 404 || response.status === 410) return undefined;
      if (response.status >= 400) {
        response.body.resume();
        throw new UpstreamError(502, `upstream ${originOf(response.url)} answered ${response.status} for ${response.url}`);
      }
      const body = init.method === 'HEAD' ? (response.body.resume(), Buffer.alloc(0)) : await readBody(response, ctx.config.max_metadata_size);
      return { url: response.url, status: response.status, headers: response.headers, body };
    },
  };
}

/** Runs the module's completeVersions hook, if it has one and something lacks a publish time. */
export async function completeVersions(ctx: Context, module: Ecosystem, route: MetadataRoute, versions: VersionSeen[], documentUrl?: string): Promise<VersionSeen[]> {
  if (!module.completeVersions || versions.every((v) => v.publishedAt !== null)) return versions;
  const rows = await listVersions(ctx.db, module.name, route.package);
  const known = new Map(rows.map((row) => [row.version, { publishedAt: row.published_at === null ? null : Number(row.published_at) }]));
  return module.completeVersions(route, versions, completionContext(ctx, module, known, documentUrl));
}

/** The artifacts a fetched document declares: from parse, or from the module's declareArtifacts hook. */
export async function declareArtifacts(ctx: Context, module: Ecosystem, route: MetadataRoute, parsed: ParsedMetadata, documentUrl: string): Promise<ArtifactDeclaration[]> {
  if (!module.declareArtifacts) return parsed.artifacts;
  return module.declareArtifacts(route, parsed, completionContext(ctx, module, new Map(), documentUrl));
}

/** Records one version the metadata may not list (a Go pseudo-version, a Maven artifact's own version). */
export async function recordVersion(ctx: Context, module: Ecosystem, route: MetadataRoute, version: string): Promise<void> {
  const versions = await completeVersions(ctx, module, route, [{ version, publishedAt: null, yanked: false }]);
  await syncVersions(ctx.db, module.name, route.package, versions, Date.now());
}
