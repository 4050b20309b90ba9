import type { Context } from '../../shared/context.js';
import { deleteOrphanBlob, orphanBlobs } from '../../shared/db/blobs.js';
import type { CleanupOutcome } from '../../shared/queue/jobs.js';

/** A blob must be unreferenced this long before it goes: fetches in flight reference theirs first. */
export const ORPHAN_GRACE_MS = 60 * 60_000;
const BATCH = 500;

/** Deletes blobs no artifact or metadata row references any more (replaced metadata, mostly). */
export async function deleteOrphanBlobs(ctx: Context, now = Date.now()): Promise<CleanupOutcome> {
  const cutoff = now - ORPHAN_GRACE_MS;
  let deleted = 0;
  for (;;) {
    const candidates = await orphanBlobs(ctx.db, cutoff, BATCH);
    for (const sha256 of candidates) {
      if (await deleteOrphanBlob(ctx.db, sha256, cutoff)) {
        await ctx.blobs.delete(sha256);
        deleted++;
      }
    }
    if (candidates.length < BATCH) break;
  }
  if (deleted > 0) ctx.logger.info({ deleted }, 'deleted orphan blobs');
  return { deleted };
}
