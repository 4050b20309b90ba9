import type { Context } from '../../shared/context.js';
import { fetchArtifact } from './fetch-artifact.js';
import { refreshMetadata } from './refresh-metadata.js';

/** The fetcher role: takes artifact downloads, prefetches and metadata refreshes off the queue. */
export function startFetcher(ctx: Context): void {
  const concurrency = ctx.config.fetcher.concurrency;
  ctx.queue.work('fetch', (job) => fetchArtifact(ctx, job), { concurrency });
  ctx.queue.work('refresh', (job) => refreshMetadata(ctx, job), { concurrency });
  ctx.queue.work('prefetch', (job) => fetchArtifact(ctx, job), { concurrency: Math.max(1, Math.floor(concurrency / 4)) });
}
