import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from '../../shared/context.js';
import { checksumsOf, getArtifact, setArtifactBlob, syncDeclarations } from '../../shared/db/artifacts.js';
import { referenceBlob } from '../../shared/db/blobs.js';
import type { ArtifactRow } from '../../shared/db/schema.js';
import { getVersion } from '../../shared/db/versions.js';
import type { EcosystemName } from '../../shared/ecosystems/names.js';
import type { ArtifactRoute, Checksum, ChecksumAlgorithm, Ecosystem } from '../../shared/ecosystems/types.js';
import { HttpError } from '../../shared/http-error.js';
import { fetchJobId, type ArtifactJob, type FetchOutcome } from '../../shared/queue/jobs.js';
import { withLock } from '../../shared/queue/lock.js';
import { awaitRefresh } from '../../shared/queue/requests.js';
import type { StagedBlob } from '../../shared/storage/blob-store.js';
import type { Spool } from '../../shared/storage/spool.js';
import { IntegrityError, UpstreamError, originOf } from '../../shared/upstream/client.js';
import { transferError } from '../../shared/upstream/read-body.js';
import { upstreamUrls } from '../../shared/upstream/urls.js';
import { completionContext, recordVersion } from './completion.js';

/** Checksums computed while downloading an artifact whose declaration is not known yet. */
const LIKELY_ALGORITHMS: ChecksumAlgorithm[] = ['sha1', 'sha512'];
const LOCK_TTL_MS = 30_000;

/** What the artifact is said to be: by its metadata, by its own path, or by an earlier fetch. */
interface Declaration {
  version: string;
  checksums: Checksum[];
  /** Where metadata says it lives; unknown for artifacts that declare themselves. */
  upstreamUrl?: string;
}

interface Download {
  staged: StagedBlob;
  digests: Map<ChecksumAlgorithm, string>;
  url: string;
}

/**
 * Downloads an artifact once for the whole deployment (under its lock), streaming it into the
 * blob store while hashing, and commits it only when it matches the checksums declared for
 * it. When the artifact is not declared yet (a lockfile asked for it before its metadata),
 * the metadata is fetched alongside the download, so that it adds no round trip.
 */
export async function fetchArtifact(ctx: Context, { ecosystem, route, revalidate }: ArtifactJob): Promise<FetchOutcome> {
  const module = ctx.ecosystems[ecosystem];
  const startedAt = Date.now();
  // No check before the lock: the job was queued on a miss, and jobs for one artifact share an id.
  return withLock(
    ctx.locks,
    `artifact/${ecosystem}/${route.path}`,
    async () => {
      const row = await getArtifact(ctx.db, ecosystem, route.path);
      const fresh = !revalidate || (row?.fetched_at != null && Number(row.fetched_at) >= startedAt - ctx.config.metadata_ttl);
      if (fresh && (await isStored(ctx, row))) return { found: true };
      // A mutable artifact being revalidated is declared afresh: its checksums change with it.
      const known = revalidate ? undefined : row;
      return download(ctx, module, route, known);
    },
    { ttlMs: LOCK_TTL_MS, waitMs: ctx.config.fetch_wait },
  );
}

/**
 * The download runs through a spool, so that this process's gateway can answer clients from it
 * once the artifact's declaration is recorded, without waiting for commit.
 */
async function download(ctx: Context, module: Ecosystem, route: ArtifactRoute, known: ArtifactRow | undefined): Promise<FetchOutcome> {
  const spool = ctx.spools.create(fetchJobId(module.name, route.path));
  try {
    return await downloadThrough(spool, ctx, module, route, known);
  } finally {
    spool.withdraw();
  }
}

async function downloadThrough(spool: Spool, ctx: Context, module: Ecosystem, route: ArtifactRoute, known: ArtifactRow | undefined): Promise<FetchOutcome> {
  const ecosystem = module.name;
  const declaration = known ? Promise.resolve(fromRow(known)) : route.self ? selfDeclaration(ctx, module, route) : fromMetadata(ctx, ecosystem, route);
  declaration.then((declared) => declared && spool.declared(), () => {});

  const firstUrls = known ? [known.upstream_url] : route.upstreamPath !== undefined ? upstreamUrls(ctx.config, ecosystem, route.upstreamPath) : undefined;
  let fetched: Download | undefined;
  let fetchError: unknown;
  if (firstUrls) {
    try {
      fetched = await downloadTo(ctx, ecosystem, firstUrls, known ? algorithmsOf(checksumsOf(known)) : LIKELY_ALGORITHMS, spool);
    } catch (err) {
      fetchError = err;
    }
  }

  const declared = await declaration;
  if (!declared) {
    await fetched?.staged.abort();
    return { found: false };
  }
  if (fetched && !verifies(fetched, declared) && declared.upstreamUrl && declared.upstreamUrl !== fetched.url) {
    // The conventional location held something else: use the URL the metadata names.
    spool.failed(new Error(`${fetched.url} does not match its declaration`));
    await fetched.staged.abort();
    fetched = undefined;
    fetchError = undefined;
  }
  if (!fetched && fetchError === undefined && declared.upstreamUrl && declared.upstreamUrl !== firstUrls?.[0]) {
    fetched = await downloadTo(ctx, ecosystem, [declared.upstreamUrl], algorithmsOf(declared.checksums));
  }
  if (!fetched) {
    if (fetchError) throw fetchError;
    if (route.self) return { found: false };
    throw new UpstreamError(502, `upstream ${originOf(declared.upstreamUrl ?? firstUrls?.[0] ?? '')} has no ${route.path} although its metadata lists it`);
  }
  if (!verifies(fetched, declared)) {
    await fetched.staged.abort();
    ctx.metrics.integrityFailures.inc({ ecosystem });
    throw new IntegrityError(`integrity check failed for ${route.path} from ${fetched.url}: ${mismatch(fetched, declared)}`);
  }

  const { sha256, size } = fetched.staged;
  // A module's own check reads the committed blob, so only then are its bytes verified.
  if (!module.verifyArtifact) spool.verified(sha256, size);
  const now = Date.now();
  await referenceBlob(ctx.db, sha256, size, now);
  await fetched.staged.commit();
  // Unrecorded, the committed blob is an orphan that blob GC removes.
  const problem = await module.verifyArtifact?.(route, { size, open: (range) => ctx.blobs.open(sha256, range) }, completionContext(ctx, module, new Map()));
  if (problem !== undefined) {
    ctx.metrics.integrityFailures.inc({ ecosystem });
    throw new IntegrityError(`integrity check failed for ${route.path} from ${fetched.url}: ${problem}`);
  }
  if (module.verifyArtifact) spool.verified(sha256, size);
  // A declaration from metadata is a row already; one the artifact makes itself is recorded here.
  if (route.self && !known) {
    await syncDeclarations(ctx.db, ecosystem, route.package, [
      { path: route.path, version: declared.version, upstreamUrl: declared.upstreamUrl ?? fetched.url, checksums: declared.checksums },
    ]);
  }
  await setArtifactBlob(ctx.db, ecosystem, route.path, fetched.staged, now);
  return { found: true };
}

function fromRow(row: ArtifactRow): Declaration {
  return { version: row.version, checksums: checksumsOf(row), upstreamUrl: row.upstream_url };
}

/** The declaration the artifact's metadata makes, once that metadata is fetched. */
async function fromMetadata(ctx: Context, ecosystem: EcosystemName, route: ArtifactRoute): Promise<Declaration | undefined> {
  const outcome = await awaitRefresh(ctx, ecosystem, route.metadata);
  const row = outcome.found ? await getArtifact(ctx.db, ecosystem, route.path) : undefined;
  return row && fromRow(row);
}

/**
 * An artifact whose path says what it is: checksums from its sidecar files, and its version
 * recorded (with a publish time, where the module can find one) so that policy can judge it.
 */
async function selfDeclaration(ctx: Context, module: Ecosystem, route: ArtifactRoute): Promise<Declaration> {
  const { version, checksumSidecars = [] } = route.self!;
  const recorded = async () => {
    if (!(await getVersion(ctx.db, module.name, route.package, version))) await recordVersion(ctx, module, route.metadata, version);
  };
  const sidecars = completionContext(ctx, module, new Map());
  const [checksums] = await Promise.all([
    Promise.all(
      checksumSidecars.map(async ({ algorithm, upstreamPath }): Promise<Checksum | undefined> => {
        const document = await sidecars.fetch(upstreamPath);
        const hex = document?.body.toString('utf8').trim().split(/\s+/)[0]?.toLowerCase();
        return hex && /^[0-9a-f]+$/.test(hex) ? { algorithm, hex } : undefined;
      }),
    ),
    recorded(),
  ]);
  return { version, checksums: checksums.filter((c): c is Checksum => c !== undefined) };
}

async function isStored(ctx: Context, row: ArtifactRow | undefined): Promise<boolean> {
  return row?.blob_sha256 != null && (await ctx.blobs.stat(row.blob_sha256)) !== undefined;
}

function algorithmsOf(checksums: Checksum[]): ChecksumAlgorithm[] {
  return checksums.map((c) => c.algorithm);
}

/** Streams one upstream artifact into staging; undefined when upstream has no such file. */
async function downloadTo(ctx: Context, ecosystem: string, urls: string[], algorithms: ChecksumAlgorithm[], spool?: Spool): Promise<Download | undefined> {
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
  const declaredLength = response.headers['content-length'];
  if (spool && declaredLength !== undefined) spool.expectedSize = Number(declaredLength);
  let staged: StagedBlob;
  try {
    [staged] = await Promise.all([ctx.blobs.stage(hashing, spool), feeding]);
  } catch (err) {
    hashing.destroy();
    throw err instanceof HttpError ? err : transferError(response.url, err);
  }
  if (declaredLength !== undefined && Number(declaredLength) !== staged.size) {
    await staged.abort();
    throw new UpstreamError(502, `upstream ${originOf(response.url)} ended ${response.url} after ${staged.size} of ${declaredLength} bytes`);
  }
  const digests = new Map<ChecksumAlgorithm, string>([...hashes].map(([algorithm, hash]) => [algorithm, hash.digest('hex')]));
  digests.set('sha256', staged.sha256);
  return { staged, digests, url: response.url };
}

/** Every declared checksum matches; an algorithm that was not computed counts as a mismatch. */
function verifies(download: Download, declared: Declaration): boolean {
  return declared.checksums.every((c) => download.digests.get(c.algorithm) === c.hex.toLowerCase());
}

function mismatch(download: Download, declared: Declaration): string {
  const bad = declared.checksums.find((c) => download.digests.get(c.algorithm) !== c.hex.toLowerCase())!;
  return `expected ${bad.algorithm} ${bad.hex}, got ${download.digests.get(bad.algorithm) ?? 'none'}`;
}
