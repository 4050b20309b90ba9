import type { Readable } from 'node:stream';
import type { Context } from '../../shared/context.js';
import { clearArtifactBlob, getArtifactWithVersion, type ArtifactWithVersion } from '../../shared/db/artifacts.js';
import { recordRefusal } from '../../shared/db/policy-decisions.js';
import type { ArtifactRoute, Ecosystem } from '../../shared/ecosystems/types.js';
import { HttpError, notFound } from '../../shared/http-error.js';
import { fetchJobId } from '../../shared/queue/jobs.js';
import { awaitFetch } from '../../shared/queue/requests.js';
import { BlobNotFound, type ByteRange } from '../../shared/storage/blob-store.js';
import type { Spool } from '../../shared/storage/spool.js';
import type { CacheOutcome } from './metadata-cache.js';
import { HotCache } from './hot-cache.js';
import { readWhole } from './read-blob.js';
import { ServedArtifacts, storedArtifact, type StoredArtifact } from './served-artifacts.js';

/** Bodies up to this size are kept in memory once read: most packages' tarballs are smaller. */
const SMALL_BODY_BYTES = 256 * 1024;

/** Long enough to start a download, short enough that a leaked URL soon stops working. */
const REDIRECT_EXPIRY_SECONDS = 300;

/** Waiting longer than this for a download, clients get its bytes before it is verified. */
const FILLING_AFTER_MS = 1000;

/** A download still running: its bytes as they arrive, ending only once they are verified. */
export interface FillingArtifact {
  filling: true;
  expectedSize: number | undefined;
  body: Readable;
}

interface Fetched {
  row: ArtifactWithVersion;
  /** The download's spool, verified or filling, when this process runs it. */
  spool?: Spool;
}

/**
 * Artifacts as clients get them: from the blob store when cached, through a fetch job when
 * not, and never when policy hides their version. A version whose publish time is not yet
 * known is fetched first (the fetcher learns it from the metadata at the same time) and
 * judged before a byte is sent.
 */
export class ArtifactCache {
  private readonly served = new ServedArtifacts();
  private readonly smallBodies: HotCache<Buffer>;

  constructor(private readonly ctx: Context) {
    this.smallBodies = new HotCache(ctx.config.hot_cache_size / 2, (bytes) => ctx.metrics.hotCacheBytes.set({ kind: 'artifact' }, bytes));
  }

  /**
   * With `follow`, a client waiting on a download this process runs is answered from its spool:
   * as soon as it is verified, or before that when it takes long.
   */
  async get(module: Ecosystem, route: ArtifactRoute, follow = false): Promise<StoredArtifact | FillingArtifact> {
    const hit = route.mutable ? undefined : this.served.hit(module.name, route.path);
    if (hit) return hit;
    let cache: CacheOutcome = 'hit';
    let row = await this.read(module, route);
    let spool: Spool | undefined;
    if (!row) {
      cache = 'miss';
      ({ row, spool } = await this.fetch(module, route, false, follow));
    }
    try {
      await this.enforcePolicy(module, row);
    } catch (err) {
      spool?.release();
      throw err;
    }
    if (!spool && row.blob_sha256 === null) {
      cache = 'miss';
      ({ row, spool } = await this.fetch(module, route, false, follow));
    } else if (route.mutable && Date.now() - Number(row.fetched_at) > this.ctx.config.metadata_ttl) {
      row = await this.revalidate(module, route, row);
    }
    if (spool) return this.fromSpool(module, route, row, spool);
    this.served.remember(module.name, route.path, row);
    return storedArtifact(row, cache);
  }

  /** A presigned URL of the stored bytes, for artifacts over storage_redirect_over on stores that have them. */
  async redirectUrl(artifact: StoredArtifact): Promise<string | undefined> {
    const over = this.ctx.config.storage_redirect_over;
    if (over === undefined || artifact.size <= over || !this.ctx.blobs.presignedUrl) return undefined;
    return this.ctx.blobs.presignedUrl(artifact.sha256, REDIRECT_EXPIRY_SECONDS);
  }

  /**
   * The bytes, or a range of them: small bodies from memory, others streamed from the store.
   * A blob that vanished from the store is fetched again once.
   */
  async body(module: Ecosystem, route: ArtifactRoute, artifact: StoredArtifact, range?: ByteRange): Promise<Buffer | Readable> {
    if (artifact.unread) return artifact.unread;
    if (artifact.size > SMALL_BODY_BYTES) return this.open(module, route, artifact, range);
    let whole = this.smallBodies.get(artifact.sha256);
    if (!whole) {
      whole = await readWhole(await this.open(module, route, artifact), SMALL_BODY_BYTES);
      this.smallBodies.set(artifact.sha256, whole, whole.length);
    }
    return range ? whole.subarray(range.start, range.end + 1) : whole;
  }

  private async open(module: Ecosystem, route: ArtifactRoute, artifact: StoredArtifact, range?: ByteRange): Promise<Readable> {
    try {
      return await this.ctx.blobs.open(artifact.sha256, range);
    } catch (err) {
      if (!(err instanceof BlobNotFound)) throw err;
      this.ctx.logger.warn({ path: route.path, sha256: artifact.sha256 }, 'cached blob missing from the store; fetching it again');
      this.served.forget(module.name, route.path);
      await clearArtifactBlob(this.ctx.db, module.name, route.path, artifact.sha256);
      const { row } = await this.fetch(module, route);
      if (row.blob_sha256 !== artifact.sha256) throw new HttpError(503, `${route.path} changed while it was being read; retry`);
      return this.ctx.blobs.open(artifact.sha256, range);
    }
  }

  /** A mutable artifact past its TTL is fetched again; the old bytes answer if upstream fails. */
  private async revalidate(module: Ecosystem, route: ArtifactRoute, stale: ArtifactWithVersion): Promise<ArtifactWithVersion> {
    try {
      return (await this.fetch(module, route, true)).row;
    } catch (err) {
      this.ctx.logger.warn({ err, path: route.path }, 'could not revalidate a mutable artifact; serving the cached copy');
      return stale;
    }
  }

  private async fetch(module: Ecosystem, route: ArtifactRoute, revalidate = false, follow = false): Promise<Fetched> {
    const job = awaitFetch(this.ctx, module.name, route, revalidate);
    if (follow && !revalidate && !route.mutable) {
      const spool = await this.ctx.spools.await(fetchJobId(module.name, route.path), job);
      // The fetcher settles its spool before its job ends, so this wait is bounded by the job's.
      let row: ArtifactWithVersion | undefined;
      try {
        if (spool && (await spool.progress(FILLING_AFTER_MS)) !== 'failed') row = await getArtifactWithVersion(this.ctx.db, module.name, route.path);
      } finally {
        if (!row) spool?.release();
      }
      if (row) return { row, spool };
    }
    const outcome = await job;
    const row = outcome.found ? await getArtifactWithVersion(this.ctx.db, module.name, route.path) : undefined;
    if (!row) throw notFound(`${route.path} is not in the upstream registry`);
    return { row };
  }

  /** Small verified bodies go to memory at once; anything else is read from the spool as sent. */
  private async fromSpool(module: Ecosystem, route: ArtifactRoute, declared: ArtifactWithVersion, spool: Spool): Promise<StoredArtifact | FillingArtifact> {
    if (spool.sha256 === undefined || spool.size === undefined) return { filling: true, expectedSize: spool.expectedSize, body: spool.read() };
    const row = { ...declared, blob_sha256: spool.sha256, size: spool.size, fetched_at: Date.now() };
    this.served.remember(module.name, route.path, row);
    const artifact = storedArtifact(row, 'miss');
    if (spool.size > SMALL_BODY_BYTES) return { ...artifact, unread: spool.read() };
    const whole = await readWhole(spool.read(), SMALL_BODY_BYTES);
    this.smallBodies.set(spool.sha256, whole, whole.length);
    return artifact;
  }

  /** The artifact's row; while the database cannot be reached, the row this gateway last served. */
  private async read(module: Ecosystem, route: ArtifactRoute): Promise<ArtifactWithVersion | undefined> {
    try {
      return await getArtifactWithVersion(this.ctx.db, module.name, route.path);
    } catch (err) {
      const remembered = this.served.row(module.name, route.path);
      if (!remembered) throw err;
      this.ctx.metrics.databaseFallbacks.inc({ ecosystem: module.name });
      this.ctx.logger.debug({ err: (err as Error).message, path: route.path }, 'database unreachable; serving the artifact row this gateway remembers');
      return remembered;
    }
  }

  private async enforcePolicy(module: Ecosystem, row: ArtifactWithVersion): Promise<void> {
    const verdict = this.ctx.policy.judge(module.name, row.package, {
      version: row.version,
      published_at: row.published_at,
      publish_time_source: row.publish_time_source ?? 'unknown',
    });
    if (verdict.visible) return;
    this.ctx.metrics.policyRefusals.inc({ ecosystem: module.name, rule: verdict.rule });
    await recordRefusal(this.ctx.db, { ecosystem: module.name, package: row.package, version: row.version, rule: verdict.rule, reason: verdict.reason }, Date.now()).catch(
      (err: unknown) => this.ctx.logger.warn({ err }, 'could not record a policy refusal'),
    );
    throw new HttpError(403, `refused by policy: ${verdict.reason}`);
  }
}
