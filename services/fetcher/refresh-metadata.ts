import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { getMetadata, getMetadataBody, putMetadata, touchMetadata } from '../../shared/db/metadata.js';
import type { MetadataRow } from '../../shared/db/schema.js';
import { syncDeclarations } from '../../shared/db/artifacts.js';
import { referenceBlob } from '../../shared/db/blobs.js';
import { syncVersions } from '../../shared/db/versions.js';
import type { Context } from '../../shared/context.js';
import type { FetchOutcome, MetadataJob } from '../../shared/queue/jobs.js';
import { UpstreamError, originOf } from '../../shared/upstream/client.js';
import { readBody } from '../../shared/upstream/read-body.js';
import { completeVersions, declareArtifacts } from './completion.js';
import { upstreamUrls } from '../../shared/upstream/urls.js';

/** Documents up to this size are kept in their database row (most packuments and index pages). */
const INLINE_BODY_BYTES = 64 * 1024;

/**
 * Fetches a metadata document, or revalidates the stored one, and records what it declares.
 * Nothing is stored from a failed or invalid answer.
 */
export async function refreshMetadata(ctx: Context, { ecosystem, route }: MetadataJob): Promise<FetchOutcome> {
  const module = ctx.ecosystems[ecosystem];
  const stored = await getMetadata(ctx.db, ecosystem, route.docKey);
  const headers: Record<string, string> = { accept: route.upstreamAccept, 'accept-encoding': 'gzip, br' };
  if (stored && (await bodyKept(ctx, ecosystem, stored))) {
    if (stored.etag) headers['if-none-match'] = stored.etag;
    if (stored.last_modified) headers['if-modified-since'] = stored.last_modified;
  }

  const response = await ctx.upstream.fetch(ecosystem, upstreamUrls(ctx.config, ecosystem, route.upstreamPath), { headers });
  const now = Date.now();
  if (response.status === 304 && stored) {
    response.body.resume();
    await touchMetadata(ctx.db, ecosystem, route.docKey, now);
    return { found: true };
  }
  if (response.status === 404 || response.status === 410) {
    await putMetadata(ctx.db, {
      ecosystem,
      doc_key: route.docKey,
      package: route.package,
      status: 404,
      blob_sha256: null,
      size: null,
      content_type: null,
      etag: null,
      last_modified: null,
      upstream_url: response.url,
      fetched_at: now,
    }, null);
    return { found: false };
  }
  if (response.status !== 200) {
    response.body.resume();
    throw new UpstreamError(502, `upstream ${originOf(response.url)} answered ${response.status} for ${response.url}`);
  }

  const body = await readBody(response, ctx.config.max_metadata_size);
  let parsed;
  try {
    parsed = module.parse(route, body, { url: response.url });
  } catch (err) {
    throw new UpstreamError(502, `upstream ${originOf(response.url)} sent invalid metadata: ${(err as Error).message}`);
  }
  const versions = await completeVersions(ctx, module, route, parsed.versions, response.url);
  const artifacts = await declareArtifacts(ctx, module, route, parsed, response.url);
  const saved = await storeBody(ctx, body, now);
  // One transaction: a reader who sees the new document also sees its versions and artifacts.
  await ctx.db.transaction().execute(async (trx) => {
    await syncVersions(trx, ecosystem, route.package, versions, now);
    await syncDeclarations(trx, ecosystem, route.package, artifacts);
    await putMetadata(trx, {
      ecosystem,
      doc_key: route.docKey,
      package: route.package,
      status: 200,
      blob_sha256: saved.sha256,
      size: body.length,
      content_type: response.headers['content-type'] ?? null,
      etag: response.headers.etag ?? null,
      last_modified: response.headers['last-modified'] ?? null,
      upstream_url: response.url,
      fetched_at: now,
    }, saved.inline);
  });
  return { found: true };
}

/** Small documents go in their row (returned as inline); larger ones into the blob store. */
async function storeBody(ctx: Context, body: Buffer, now: number): Promise<{ sha256: string; inline: Buffer | null }> {
  if (body.length <= INLINE_BODY_BYTES) return { sha256: createHash('sha256').update(body).digest('hex'), inline: body };
  const staged = await ctx.blobs.stage(Readable.from([body]));
  await referenceBlob(ctx.db, staged.sha256, staged.size, now);
  await staged.commit();
  return { sha256: staged.sha256, inline: null };
}

/** Whether the stored body can still be read, so that upstream may answer 304 to it. */
async function bodyKept(ctx: Context, ecosystem: string, row: MetadataRow): Promise<boolean> {
  if (row.status !== 200 || !row.blob_sha256) return false;
  const inline = await getMetadataBody(ctx.db, ecosystem, row.doc_key, row.blob_sha256);
  return inline !== undefined && (inline !== null || (await ctx.blobs.stat(row.blob_sha256)) !== undefined);
}
