import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../shared/http-error.js';
import { IntegrityError } from '../../shared/upstream/client.js';
import { JobWaitTimeout, type JobQueue } from '../../shared/queue/job-queue.js';
import type { ArtifactJob } from '../../shared/queue/jobs.js';
import { withLock, type LockService } from '../../shared/queue/lock.js';

const job = (path: string): ArtifactJob => ({
  ecosystem: 'npm',
  route: { kind: 'artifact', package: 'a', path, upstreamPath: path, metadata: { kind: 'metadata', package: 'a', docKey: 'packument/a', upstreamPath: 'a', upstreamAccept: 'application/json', variant: 'full' } },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What every JobQueue backend must do. `open` returns a queue on a fresh namespace; queues
 * opened by the same call share it, like separate processes on one backend would.
 */
export function jobQueueCompliance(name: string, open: () => Promise<{ queues: () => Promise<JobQueue>; cleanup?: () => Promise<void> }>) {
  describe(`JobQueue compliance: ${name}`, () => {
    const opened: JobQueue[] = [];
    let cleanup: (() => Promise<void>) | undefined;
    const fresh = async () => {
      const backend = await open();
      cleanup = backend.cleanup;
      const queue = await backend.queues();
      opened.push(queue);
      return { queue, another: async () => { const q = await backend.queues(); opened.push(q); return q; } };
    };
    afterEach(async () => {
      for (const q of opened.splice(0)) await q.close();
      await cleanup?.();
    });

    it('runs a job and returns its result to the waiter', async () => {
      const { queue } = await fresh();
      queue.work('fetch', async (data) => ({ found: data.route.path === 'yes' }), { concurrency: 1 });
      expect(await queue.run('fetch', job('yes'), { jobId: 'j1', timeoutMs: 10_000 })).toEqual({ found: true });
    });

    it('joins concurrent requests for the same job id into one run', async () => {
      const { queue } = await fresh();
      let runs = 0;
      queue.work('fetch', async () => {
        runs++;
        await sleep(200);
        return { found: true };
      }, { concurrency: 4 });
      const results = await Promise.all(Array.from({ length: 20 }, () => queue.run('fetch', job('same'), { jobId: 'same', timeoutMs: 10_000 })));
      expect(results.every((r) => r.found)).toBe(true);
      expect(runs).toBe(1);
    });

    it('retries a failing job with backoff and succeeds', async () => {
      const { queue } = await fresh();
      const attempts: number[] = [];
      queue.work('fetch', async (_data, { attempt }) => {
        attempts.push(attempt);
        if (attempt < 3) throw new HttpError(502, 'upstream flaked');
        return { found: true };
      }, { concurrency: 1 });
      expect(await queue.run('fetch', job('flaky'), { jobId: 'flaky', timeoutMs: 20_000 })).toEqual({ found: true });
      expect(attempts).toEqual([1, 2, 3]);
    });

    it('gives up after the last attempt and hands the status and reason to the waiter', async () => {
      const { queue } = await fresh();
      queue.work('fetch', async () => {
        throw new HttpError(504, 'upstream https://example.test did not answer within 30s');
      }, { concurrency: 1 });
      const error = await queue.run('fetch', job('down'), { jobId: 'down', timeoutMs: 20_000 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 504, message: 'upstream https://example.test did not answer within 30s' });
    });

    it('does not retry client errors', async () => {
      const { queue } = await fresh();
      let runs = 0;
      queue.work('fetch', async () => {
        runs++;
        throw new HttpError(404, 'no such thing');
      }, { concurrency: 1 });
      await expect(queue.run('fetch', job('missing'), { jobId: 'missing', timeoutMs: 10_000 })).rejects.toMatchObject({ status: 404 });
      expect(runs).toBe(1);
    });

    it('does not retry errors marked final', async () => {
      const { queue } = await fresh();
      let runs = 0;
      queue.work('fetch', async () => {
        runs++;
        throw new IntegrityError('integrity check failed for x');
      }, { concurrency: 1 });
      await expect(queue.run('fetch', job('corrupt'), { jobId: 'corrupt', timeoutMs: 10_000 })).rejects.toMatchObject({ status: 502, message: 'integrity check failed for x' });
      expect(runs).toBe(1);
    });

    it('bounds the wait without cancelling the job', async () => {
      const { queue } = await fresh();
      let finished = false;
      queue.work('fetch', async () => {
        await sleep(600);
        finished = true;
        return { found: true };
      }, { concurrency: 1 });
      await expect(queue.run('fetch', job('slow'), { jobId: 'slow', timeoutMs: 100 })).rejects.toBeInstanceOf(JobWaitTimeout);
      await sleep(1500);
      expect(finished).toBe(true);
    });

    it('runs higher-priority jobs first', async () => {
      const { queue } = await fresh();
      const order: string[] = [];
      await queue.add('fetch', job('low-1'), { jobId: 'low-1', priority: 10 });
      await queue.add('fetch', job('low-2'), { jobId: 'low-2', priority: 10 });
      await queue.add('fetch', job('urgent'), { jobId: 'urgent', priority: 1 });
      const done = new Promise<void>((resolve) => {
        queue.work('fetch', async (data) => {
          order.push(data.route.path);
          if (order.length === 3) resolve();
          return { found: true };
        }, { concurrency: 1 });
      });
      await done;
      expect(order).toEqual(['urgent', 'low-1', 'low-2']);
    });

    it('lets a second queue handle on the same backend wait on a job the first one runs', async () => {
      const { queue, another } = await fresh();
      queue.work('refresh', async () => {
        await sleep(100);
        return { found: true };
      }, { concurrency: 1 });
      const other = await another();
      const metadata = { ecosystem: 'npm' as const, route: job('x').route.metadata };
      expect(await other.run('refresh', metadata, { jobId: 'shared', timeoutMs: 10_000 })).toEqual({ found: true });
    });
  });
}

/** What every LockService backend must do. */
export function lockCompliance(name: string, open: () => Promise<LockService>) {
  describe(`LockService compliance: ${name}`, () => {
    it('gives a lock to one holder at a time and frees it on release', async () => {
      const locks = await open();
      const key = `k-${Math.random()}`;
      const first = await locks.tryAcquire(key, 5000);
      expect(first).toBeDefined();
      expect(await locks.tryAcquire(key, 5000)).toBeUndefined();
      await first!.release();
      const second = await locks.tryAcquire(key, 5000);
      expect(second).toBeDefined();
      await second!.release();
      await locks.close();
    });

    it('expires an abandoned lock, and the old holder learns it lost it', async () => {
      const locks = await open();
      const key = `k-${Math.random()}`;
      const stale = await locks.tryAcquire(key, 200);
      await sleep(400);
      const fresh = await locks.tryAcquire(key, 5000);
      expect(fresh).toBeDefined();
      expect(await stale!.extend(5000)).toBe(false);
      await stale!.release();
      expect(await locks.tryAcquire(key, 5000)).toBeUndefined();
      await fresh!.release();
      await locks.close();
    });

    it('withLock serializes holders and renews the lease while work runs', async () => {
      const locks = await open();
      const key = `k-${Math.random()}`;
      let inside = 0;
      let maxInside = 0;
      const work = () =>
        withLock(locks, key, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(300); // longer than the TTL: only renewal keeps the lock
          inside--;
        }, { ttlMs: 150, waitMs: 10_000, pollMs: 20 });
      await Promise.all([work(), work(), work()]);
      expect(maxInside).toBe(1);
      await locks.close();
    });
  });
}
