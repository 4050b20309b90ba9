import type { Context } from '../../shared/context.js';
import { jobId } from '../../shared/queue/jobs.js';
import { deleteOrphanBlobs } from './orphan-blobs.js';

const CLEANUP_EVERY_MS = 60 * 60_000;

/**
 * The refresher role: schedules housekeeping and runs it. Each period's run is claimed with a
 * lock that is left to expire, so several refreshers queue it once between them.
 */
export function startRefresher(ctx: Context): { stop(): void } {
  ctx.queue.work('cleanup', (job) => {
    switch (job.task) {
      case 'orphan-blobs':
        return deleteOrphanBlobs(ctx);
    }
  }, { concurrency: 1 });
  const schedule = async () => {
    const period = String(Math.floor(Date.now() / CLEANUP_EVERY_MS));
    if (!(await ctx.locks.tryAcquire(`schedule/orphan-blobs/${period}`, CLEANUP_EVERY_MS))) return;
    await ctx.queue.add('cleanup', { task: 'orphan-blobs' }, { jobId: jobId('orphan-blobs', period) });
  };
  const timer = setInterval(() => schedule().catch((err: unknown) => ctx.logger.warn({ err }, 'could not schedule cleanup')), CLEANUP_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
