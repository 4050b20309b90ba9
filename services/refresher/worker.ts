import type { Context } from '../../shared/context.js';
import { jobId } from '../../shared/queue/jobs.js';
import { deleteOrphanBlobs } from './orphan-blobs.js';

const CLEANUP_EVERY_MS = 60 * 60_000;

/**
 * The refresher role: schedules housekeeping and runs it. The schedule only queues jobs with
 * ids per period, so several refreshers queue each run once.
 */
export function startRefresher(ctx: Context): { stop(): void } {
  ctx.queue.work('cleanup', (job) => {
    switch (job.task) {
      case 'orphan-blobs':
        return deleteOrphanBlobs(ctx);
    }
  }, { concurrency: 1 });
  const schedule = () => {
    const period = Math.floor(Date.now() / CLEANUP_EVERY_MS);
    ctx.queue.add('cleanup', { task: 'orphan-blobs' }, { jobId: jobId('orphan-blobs', String(period)) }).catch((err: unknown) => ctx.logger.warn({ err }, 'could not schedule cleanup'));
  };
  const timer = setInterval(schedule, CLEANUP_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
