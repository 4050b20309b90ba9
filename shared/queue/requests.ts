import type { Context } from '../context.js';
import type { EcosystemName } from '../ecosystems/names.js';
import type { ArtifactRoute, MetadataRoute } from '../ecosystems/types.js';
import { HttpError } from '../http-error.js';
import { JobWaitTimeout } from './job-queue.js';
import { fetchJobId, refreshJobId, type FetchOutcome } from './jobs.js';

/** Priority of work a client is waiting for. */
const WAITED_ON = 1;

/** Fetches (or revalidates) a metadata document through the queue and waits for it. */
export function awaitRefresh(ctx: Context, ecosystem: EcosystemName, route: MetadataRoute): Promise<FetchOutcome> {
  return waitOrTimeout(
    ctx.queue.run('refresh', { ecosystem, route }, { jobId: refreshJobId(ecosystem, route.docKey), priority: WAITED_ON, timeoutMs: ctx.config.fetch_wait }),
    `metadata of ${route.package}`,
  );
}

/** Downloads an artifact through the queue (again, with revalidate) and waits for it. */
export function awaitFetch(ctx: Context, ecosystem: EcosystemName, route: ArtifactRoute, revalidate = false): Promise<FetchOutcome> {
  return waitOrTimeout(
    ctx.queue.run(
      'fetch',
      { ecosystem, route, ...(revalidate ? { revalidate } : {}) },
      { jobId: fetchJobId(ecosystem, route.path), priority: WAITED_ON, timeoutMs: ctx.config.fetch_wait },
    ),
    route.path,
  );
}

/** Queues a metadata revalidation without waiting for it. */
export function queueRefresh(ctx: Context, ecosystem: EcosystemName, route: MetadataRoute): Promise<void> {
  return ctx.queue.add('refresh', { ecosystem, route }, { jobId: refreshJobId(ecosystem, route.docKey) });
}

async function waitOrTimeout<T>(job: Promise<T>, what: string): Promise<T> {
  try {
    return await job;
  } catch (err) {
    if (err instanceof JobWaitTimeout) throw new HttpError(504, `still fetching ${what} from upstream after ${Math.round(err.timeoutMs / 1000)}s; try again shortly`);
    throw err;
  }
}
