import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../../shared/context.js';
import { checksumsOf, getArtifact, setArtifactBlob } from '../../shared/db/artifacts.js';
import { referenceBlob } from '../../shared/db/blobs.js';
import type { ArtifactRow } from '../../shared/db/schema.js';
import type { ChecksumAlgorithm } from '../../shared/ecosystems/types.js';
import { HttpError } from '../../shared/http-error.js';
import type { ArtifactJob, FetchOutcome } from '../../shared/queue/jobs.js';
import { withLock } from '../../shared/queue/lock.js';
import { awaitRefresh } from '../../shared/queue/requests.js';
import type { StagedBlob } from '../../shared/storage/blob-store.js';
import { UpstreamError, originOf } from '../../shared/upstream/client.js';
import { transferError } from '../../shared/upstream/read-body.js';
import { upstreamUrls } from '../../shared/upstream/urls.js';

/** Checksums computed while downloading an artifact nobody has declared yet. */
const LIKELY_ALGORITHMS: ChecksumAlgorithm[] = ['sha1', 'sha512'];
const LOCK_TTL_MS = 30_000;

interface Download {
  staged: StagedBlob;
  digests: Map<ChecksumAlgorithm, string>;
  url: string;
}

/**
 * Downloads an artifact once for the whole deployment (under its lock), streaming it into the
 * blob store while hashing, and commits it only when it matches the checksums its metadata
 * declares. When the artifact is not declared yet (a lockfile asked for it before its
 * metadata), the metadata is fetched alongside the download, so that it adds no round trip.
 */
export async function fetchArtifact(ctx: Context, { ecosystem, route }: ArtifactJob): Promise<FetchOutcome> {
  if (await isStored(ctx, await getArtifact(ctx.db, ecosystem, route.path))) return { found: true };
  return withLock(
    ctx.locks,
    `artifact/${ecosystem}/${route.path}`,
    async () => {
      const known = await getArtifact(ctx.db, ecosystem, route.path);
      if (await isStored(ctx, known)) return { found: true };

      const declaration: Promise<ArtifactRow | undefined> = known
        ? Promise.resolve(known)
        : awaitRefresh(ctx, ecosystem, route.metadata).then((outcome) => (outcome.found ? getArtifact(ctx.db, ecosystem, route.path) : undefined));
      declaration.catch(() => {});

      const firstUrls = known ? [known.upstream_url] : upstreamUrls(ctx.config, ecosystem, route.upstreamPath);
      const algorithms = known ? checksumsOf(known).map((c) => c.algorithm) : LIKELY_ALGORITHMS;
      let download: Download | undefined;
      let downloadError: unknown;
      try {
        download = await downloadTo(ctx, ecosystem, firstUrls, algorithms);
      } catch (err) {
        downloadError = err;
      }

      const declared = await declaration;
      if (!declared) {
        await download?.staged.abort();
        return { found: false };
      }
      if (download && !known && !verifies(download, declared)) {
        // The conventional location held something else: use the URL the metadata names.
        await download.staged.abort();
        download = undefined;
        downloadError = undefined;
      }
      if (!download && downloadError === undefined && declared.upstream_url !== firstUrls[0]) {
        download = await downloadTo(ctx, ecosystem, [declared.upstream_url], checksumsOf(declared).map((c) => c.algorithm));
      }
      if (!download) {
        if (downloadError) throw downloadError;
        throw new UpstreamError(502, `upstream ${originOf(declared.upstream_url)} has no ${route.path} although its metadata lists it`);
      }
      if (!verifies(download, declared)) {
        await download.staged.abort();
        ctx.metrics.integrityFailures.inc({ ecosystem });
        throw new UpstreamError(502, `integrity check failed for ${route.path} from ${download.url}: ${mismatch(download, declared)}`);
      }
      const now = Date.now();
      await referenceBlob(ctx.db, download.staged.sha256, download.staged.size, now);
      await download.staged.commit();
      await setArtifactBlob(ctx.db, ecosystem, route.path, download.staged, now);
      return { found: true };
    },
    { ttlMs: LOCK_TTL_MS, waitMs: ctx.config.fetch_wait },
  );
}

async function isStored(ctx: Context, row: ArtifactRow | undefined): Promise<boolean> {
  return row?.blob_sha256 != null && (await ctx.blobs.stat(row.blob_sha256)) !== undefined;
}

/** Streams one upstream artifact into staging; undefined when upstream has no such file. */
async function downloadTo(ctx: Context, ecosystem: string, urls: string[], algorithms: ChecksumAlgorithm[]): Promise<Download | undefined> {
  const response = await ctx.upstream.fetch(ecosystem, urls, { headers: { 'accept-encoding': 'identity' } });
  if (response.status === 404 || response.status === 410) return undefined;
  if (response.status !== 200) {
    response.body.resume();
    throw new UpstreamError(502, `upstream ${originOf(response.url)} answered ${response.status} for ${response.url}`);
  }
  const hashes = new Map<ChecksumAlgorithm, Hash>(algorithms.filter((a) => a !== 'sha256').map((a) => [a, createHash(a)]));
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (const hash of hashes.values()) hash.update(chunk);
      done(null, chunk);
    },
  });
  const feeding = pipeline(response.body, hashing);
  let staged: StagedBlob;
  try {
    [staged] = await Promise.all([ctx.blobs.stage(hashing), feeding]);
  } catch (err) {
    hashing.destroy();
    throw err instanceof HttpError ? err : transferError(response.url, err);
  }
  const declaredLength = response.headers['content-length'];
  if (declaredLength !== undefined && Number(declaredLength) !== staged.size) {
    await staged.abort();
    throw new UpstreamError(502, `upstream ${originOf(response.url)} ended ${response.url} after ${staged.size} of ${declaredLength} bytes`);
  }
  const digests = new Map<ChecksumAlgorithm, string>([...hashes].map(([algorithm, hash]) => [algorithm, hash.digest('hex')]));
  digests.set('sha256', staged.sha256);
  return { staged, digests, url: response.url };
}

/** Every declared checksum matches; an algorithm that was not computed counts as a mismatch. */
function verifies(download: Download, declared: ArtifactRow): boolean {
  return checksumsOf(declared).every((c) => download.digests.get(c.algorithm) === c.hex.toLowerCase());
}

function mismatch(download: Download, declared: ArtifactRow): string {
  const bad = checksumsOf(declared).find((c) => download.digests.get(c.algorithm) !== c.hex.toLowerCase())!;
  return `expected ${bad.algorithm} ${bad.hex}, got ${download.digests.get(bad.algorithm) ?? 'none'}`;
}
