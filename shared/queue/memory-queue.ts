import type { QueueName, Queues } from './jobs.js';
import { isRetryable, JobWaitTimeout, RETRY, type AddOptions, type JobHandler, type JobQueue } from './job-queue.js';

interface Job {
  queue: QueueName;
  id: string;
  data: unknown;
  priority: number;
  seq: number;
  attempt: number;
  done: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Lane {
  pending: Job[];
  running: number;
  concurrency: number;
  handler?: JobHandler<QueueName>;
}

/** The embedded queue: jobs live in this process's memory and run on its event loop. */
export class MemoryJobQueue implements JobQueue {
  private readonly jobs = new Map<string, Job>();
  private readonly lanes = new Map<QueueName, Lane>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private closed = false;

  constructor(private readonly onFinish: (queue: QueueName, outcome: 'completed' | 'failed' | 'retried') => void = () => {}) {}

  async add<Q extends QueueName>(queue: Q, data: Queues[Q]['data'], options: AddOptions): Promise<void> {
    this.submit(queue, data, options).done.catch(() => {});
  }

  run<Q extends QueueName>(queue: Q, data: Queues[Q]['data'], options: AddOptions & { timeoutMs: number }): Promise<Queues[Q]['result']> {
    const job = this.submit(queue, data, options);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new JobWaitTimeout(queue, options.timeoutMs)), options.timeoutMs);
      job.done.then(
        (value) => {
          clearTimeout(timer);
          resolve(value as Queues[Q]['result']);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  work<Q extends QueueName>(queue: Q, handler: JobHandler<Q>, options: { concurrency: number }): void {
    const lane = this.lane(queue);
    lane.handler = handler as unknown as JobHandler<QueueName>;
    lane.concurrency = options.concurrency;
    this.pump(lane);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('job queue closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const job of this.jobs.values()) job.reject(new Error('job queue closed'));
    this.jobs.clear();
  }

  private submit(queue: QueueName, data: unknown, options: AddOptions): Job {
    if (this.closed) throw new Error('job queue closed');
    const key = `${queue}/${options.jobId}`;
    const existing = this.jobs.get(key);
    if (existing) return existing;
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { queue, id: options.jobId, data, priority: options.priority ?? 10, seq: this.seq++, attempt: 0, done, resolve, reject };
    this.jobs.set(key, job);
    const lane = this.lane(queue);
    lane.pending.push(job);
    this.pump(lane);
    return job;
  }

  private lane(queue: QueueName): Lane {
    let lane = this.lanes.get(queue);
    if (!lane) this.lanes.set(queue, (lane = { pending: [], running: 0, concurrency: 0 }));
    return lane;
  }

  private pump(lane: Lane): void {
    while (!this.closed && lane.handler && lane.running < lane.concurrency && lane.pending.length > 0) {
      const job = this.takeNext(lane);
      lane.running++;
      job.attempt++;
      lane.handler(job.data as never, { attempt: job.attempt })
        .then(
          (result) => this.finish(job, 'completed', () => job.resolve(result)),
          (error: unknown) => {
            if (job.attempt < RETRY.attempts && isRetryable(error) && !this.closed) {
              this.onFinish(job.queue, 'retried');
              const timer = setTimeout(() => {
                this.timers.delete(timer);
                lane.pending.push(job);
                this.pump(lane);
              }, RETRY.backoffMs(job.attempt));
              this.timers.add(timer);
            } else {
              this.finish(job, 'failed', () => job.reject(error));
            }
          },
        )
        .finally(() => {
          lane.running--;
          this.pump(lane);
        });
    }
  }

  private finish(job: Job, outcome: 'completed' | 'failed', settle: () => void): void {
    this.jobs.delete(`${job.queue}/${job.id}`);
    this.onFinish(job.queue, outcome);
    settle();
  }

  /** Lowest priority number first, then oldest. */
  private takeNext(lane: Lane): Job {
    let best = 0;
    for (let i = 1; i < lane.pending.length; i++) {
      const a = lane.pending[i]!;
      const b = lane.pending[best]!;
      if (a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq)) best = i;
    }
    return lane.pending.splice(best, 1)[0]!;
  }
}
