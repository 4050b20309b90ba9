import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Context } from '../../shared/context.js';
import { getMetadata, getMetadataBody } from '../../shared/db/metadata.js';
import type { MetadataRow, VersionRow } from '../../shared/db/schema.js';
import { listVersions } from '../../shared/db/versions.js';
import type { Ecosystem, MetadataRoute } from '../../shared/ecosystems/types.js';
import { HttpError, notFound } from '../../shared/http-error.js';
import { awaitRefresh, queueRefresh } from '../../shared/queue/requests.js';
import { readWhole } from './read-blob.js';
import { HotCache } from './hot-cache.js';

const gzipAsync = promisify(gzip);

export interface RenderedDocument {
  body: Buffer;
  contentType: string;
  etag: string;
  /** The raw upstream document it was rendered from. */
  source: string;
  /** Policy may answer differently from this time on. */
  validUntil: number;
  gzipped?: Promise<Buffer>;
}

export type CacheOutcome = 'hit' | 'stale' | 'miss';

interface RowMemo {
  row: MetadataRow;
  refreshQueuedAt?: number | undefined;
}

/** Metadata rows remembered by one gateway; a row is a few hundred bytes. */
const MAX_ROWS = 100_000;

/** How often one gateway re-queues the refresh of a document it keeps serving stale. */
const REQUEUE_STALE_MS = 2000;

/**
 * Metadata as clients get it. Raw upstream documents stay as fetched; policy and URL rewriting
 * are applied here, once per (document, variant, proxy URL), and the result is kept hot in
 * memory until the document changes or a hidden version comes of age. Stale documents are
 * served at once while a refresh runs in the background.
 */
export class MetadataCache {
  private readonly rows = new Map<string, RowMemo>();
  private readonly rendered: HotCache<RenderedDocument>;
  private readonly rendering = new Map<string, Promise<RenderedDocument>>();

  constructor(private readonly ctx: Context) {
    this.rendered = new HotCache(ctx.config.hot_cache_size / 2, (bytes) => ctx.metrics.hotCacheBytes.set({ kind: 'metadata' }, bytes));
  }

  async get(module: Ecosystem, route: MetadataRoute, mountUrl: string): Promise<{ document: RenderedDocument; cache: CacheOutcome }> {
    const { row, cache } = await this.currentRow(module, route);
    const key = `${module.name}\0${route.docKey}\0${route.variant}\0${mountUrl}`;
    const hot = this.rendered.get(key);
    if (hot && hot.source === row.blob_sha256 && Date.now() < hot.validUntil) return { document: hot, cache };

    let pending = this.rendering.get(key);
    if (!pending) {
      pending = this.render(module, route, row, mountUrl).finally(() => this.rendering.delete(key));
      this.rendering.set(key, pending);
    }
    let document: RenderedDocument;
    try {
      document = await pending;
    } catch (err) {
      // Rendering reads versions from the database; while it is unreachable, the last rendering
      // of the same document still hides at least what policy hides now.
      if (!hot || hot.source !== row.blob_sha256 || err instanceof HttpError) throw err;
      this.ctx.metrics.databaseFallbacks.inc({ ecosystem: module.name });
      return { document: hot, cache: 'stale' };
    }
    this.rendered.set(key, document, document.body.length * 1.5);
    return { document, cache };
  }

  /** The gzip form of a rendered document, compressed once. */
  gzipped(document: RenderedDocument): Promise<Buffer> {
    document.gzipped ??= gzipAsync(document.body);
    return document.gzipped;
  }

  private async currentRow(module: Ecosystem, route: MetadataRoute): Promise<{ row: MetadataRow; cache: CacheOutcome }> {
    const key = rowKey(module, route.docKey);
    const now = Date.now();
    let memo = this.rows.get(key);
    if (!memo || !this.isFresh(memo.row, now)) {
      // Another worker may have refreshed it: the database row is the truth.
      let row: MetadataRow | undefined;
      try {
        row = await getMetadata(this.ctx.db, module.name, route.docKey);
      } catch (err) {
        if (memo?.row.status !== 200) throw err;
        // The database is unreachable: what this gateway remembers is still a good answer.
        this.ctx.metrics.databaseFallbacks.inc({ ecosystem: module.name });
        return this.answer(memo.row, 'stale');
      }
      const sameRow = memo?.row.fetched_at === row?.fetched_at;
      memo = row ? this.remember(key, { row, refreshQueuedAt: sameRow ? memo?.refreshQueuedAt : undefined }) : undefined;
    }

    if (memo && this.isFresh(memo.row, now)) return this.answer(memo.row, 'hit');
    if (memo?.row.status === 200) {
      if (memo.refreshQueuedAt === undefined || now - memo.refreshQueuedAt >= REQUEUE_STALE_MS) {
        memo.refreshQueuedAt = now;
        queueRefresh(this.ctx, module.name, route).catch((err: unknown) => this.ctx.logger.warn({ err }, 'could not queue a metadata refresh'));
      }
      this.ctx.metrics.staleServed.inc({ ecosystem: module.name });
      return this.answer(memo.row, 'stale');
    }

    await awaitRefresh(this.ctx, module.name, route);
    const row = await getMetadata(this.ctx.db, module.name, route.docKey);
    if (!row) throw new HttpError(502, `metadata of ${route.package} could not be stored`);
    this.remember(key, { row });
    return this.answer(row, 'miss');
  }

  private answer(row: MetadataRow, cache: CacheOutcome): { row: MetadataRow; cache: CacheOutcome } {
    if (row.status === 404) throw notFound(`${row.package} is not in the upstream registry`);
    return { row, cache };
  }

  private isFresh(row: MetadataRow, now: number): boolean {
    const ttl = row.status === 200 ? this.ctx.config.metadata_ttl : this.ctx.config.negative_ttl;
    return now - row.fetched_at < ttl;
  }

  private remember(key: string, memo: RowMemo): RowMemo {
    this.rows.delete(key);
    this.rows.set(key, memo);
    if (this.rows.size > MAX_ROWS) this.rows.delete(this.rows.keys().next().value!);
    return memo;
  }

  private async render(module: Ecosystem, route: MetadataRoute, read: MetadataRow, mountUrl: string): Promise<RenderedDocument> {
    const { row, raw } = await this.rawBody(module, read);
    const parsed = module.parse(route, raw);
    const stored = new Map((await listVersions(this.ctx.db, module.name, route.package)).map((v) => [v.version, v]));
    const versions: VersionRow[] = parsed.versions.map(
      (v) =>
        stored.get(v.version) ?? {
          ecosystem: module.name,
          package: route.package,
          version: v.version,
          published_at: v.publishedAt,
          publish_time_source: v.publishedAt === null ? 'unknown' : 'upstream',
          first_seen_at: row.fetched_at,
          yanked: v.yanked ? 1 : 0,
        },
    );
    const { hidden, validUntil } = this.ctx.policy.visibility(module.name, route.package, versions);
    const { body, contentType, etag: fixedEtag } = module.render(route, parsed, { mountUrl, hidden });
    const etag = fixedEtag ?? `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
    return { body, contentType, etag, source: row.blob_sha256!, validUntil };
  }

  /**
   * The upstream document as stored: in its row when small, else in the blob store. When
   * another process has replaced the row since this one read it, the new row is read and
   * remembered.
   */
  private async rawBody(module: Ecosystem, row: MetadataRow): Promise<{ row: MetadataRow; raw: Buffer }> {
    const changed = () => new HttpError(503, `metadata of ${row.package} changed while it was being read; retry`);
    let inline = await getMetadataBody(this.ctx.db, module.name, row.doc_key, row.blob_sha256!);
    if (inline === undefined) {
      const current = await getMetadata(this.ctx.db, module.name, row.doc_key);
      if (current?.status !== 200) throw changed();
      row = this.remember(rowKey(module, row.doc_key), { row: current }).row;
      inline = await getMetadataBody(this.ctx.db, module.name, row.doc_key, row.blob_sha256!);
      if (inline === undefined) throw changed();
    }
    return { row, raw: inline ?? (await readWhole(await this.ctx.blobs.open(row.blob_sha256!), this.ctx.config.max_metadata_size)) };
  }
}

function rowKey(module: Ecosystem, docKey: string): string {
  return `${module.name}\0${docKey}`;
}
