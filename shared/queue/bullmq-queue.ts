import { hostname } from 'node:os';
import { Queue, QueueEvents, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { HttpError } from '../http-error.js';
import type { Logger } from '../telemetry/logger.js';
import type { QueueName, Queues } from './jobs.js';
import { isRetryable, JobWaitTimeout, RETRY, type AddOptions, type JobHandler, type JobQueue } from './job-queue.js';
import { connectRedis, redisHost } from './redis-connection.js';

export interface BullMqOptions {
  url: string;
  /** Namespace of every key. */
  prefix: string;
  /** A worker that stops renewing its jobs' locks for this long loses them to another worker. */
  stallTimeoutMs: number;
  logger: Logger;
  onFinish?: (queue: QueueName, outcome: 'completed' | 'failed' | 'retried') => void;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** How long adding a job may take before the queue counts as unavailable. */
const ADD_TIMEOUT_MS = 5000;
/** Commands wait for a connection being made, but fail after one reconnection attempt or a stuck answer. */
const FAIL_FAST = { maxRetriesPerRequest: 1, commandTimeout: ADD_TIMEOUT_MS };

/**
 * The cluster queue: BullMQ on Redis. A job id names the work, so everyone asking for the same
 * thing while it is waiting or running joins one job (finished jobs are removed at once, so a
 * later request runs it again). Waiters learn the outcome from the queue's event stream
 * (QueueEvents), whichever process ran the job. A worker that dies mid-job stops renewing the
 * job's lock, and another worker takes the job over after the stall timeout. While Redis is
 * unreachable, adding a job fails with 503 within about a second rather than waiting.
 */
export class BullMqJobQueue implements JobQueue {
  /** Fails fast while Redis is down; workers and event readers have blocking connections of their own. */
  private readonly producer: Redis;
  private readonly connections: Redis[] = [];
  private readonly queues = new Map<QueueName, Queue>();
  private readonly listening = new Map<QueueName, Promise<void>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly closers: Array<() => Promise<void>> = [];
  private closed = false;

  constructor(private readonly options: BullMqOptions) {
    this.producer = this.connect(FAIL_FAST);
  }

  async add<Q extends QueueName>(queue: Q, data: Queues[Q]['data'], options: AddOptions): Promise<void> {
    if (this.closed) throw new Error('job queue closed');
    // BullMQ waits for a connection that was never made; a ping gives up after one retry.
    const connected = this.producer.status === 'ready' ? Promise.resolve() : this.producer.ping().then(() => {});
    const adding = connected.then(() =>
      this.queue(queue).add(queue, data, {
        jobId: options.jobId,
        priority: options.priority ?? 10,
        attempts: RETRY.attempts,
        backoff: { type: 'retry' },
        removeOnComplete: true,
        removeOnFail: true,
      }),
    );
    await this.available(adding);
  }

  async run<Q extends QueueName>(queue: Q, data: Queues[Q]['data'], options: AddOptions & { timeoutMs: number }): Promise<Queues[Q]['result']> {
    await this.available(this.listen(queue));
    const key = `${queue}/${options.jobId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(() => reject(new JobWaitTimeout(queue, options.timeoutMs))), options.timeoutMs);
      const waiter: Waiter = {
        resolve: (value) => settle(() => resolve(value as Queues[Q]['result'])),
        reject: (error) => settle(() => reject(error)),
      };
      const settle = (answer: () => void) => {
        clearTimeout(timer);
        this.waiters.get(key)?.delete(waiter);
        if (this.waiters.get(key)?.size === 0) this.waiters.delete(key);
        answer();
      };
      // Listening starts before the job is added, so that even a job that finishes at once is heard.
      let waiting = this.waiters.get(key);
      if (!waiting) this.waiters.set(key, (waiting = new Set()));
      waiting.add(waiter);
      this.add(queue, data, options).catch(waiter.reject);
    });
  }

  work<Q extends QueueName>(queue: Q, handler: JobHandler<Q>, options: { concurrency: number }): void {
    const connection = this.connect({ maxRetriesPerRequest: null });
    const worker = new Worker(queue, (job: Job) => this.process(queue, handler as unknown as JobHandler<QueueName>, job), {
      connection,
      prefix: this.options.prefix,
      concurrency: options.concurrency,
      name: `${hostname()}/${process.pid}`,
      // The lock is renewed every half lockDuration; a dead worker's job is found by the next
      // stall check: taken over within stallTimeoutMs in all.
      lockDuration: Math.round((this.options.stallTimeoutMs * 2) / 3),
      stalledInterval: Math.round(this.options.stallTimeoutMs / 3),
      maxStalledCount: 1,
      settings: { backoffStrategy: (attemptsMade: number) => RETRY.backoffMs(attemptsMade) },
    });
    worker.on('error', (err) => this.options.logger.debug({ err: err.message, queue }, 'queue worker error'));
    this.closers.push(() => worker.close());
  }

  async ping(): Promise<void> {
    await this.producer.ping();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiting of this.waiters.values()) for (const waiter of waiting) waiter.reject(new Error('job queue closed'));
    // Workers finish the jobs they are running first.
    await Promise.all(this.closers.map((close) => close()));
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    for (const connection of this.connections) connection.disconnect();
  }

  private async process(queue: QueueName, handler: JobHandler<QueueName>, job: Job): Promise<unknown> {
    const attempt = job.attemptsMade + 1;
    this.options.logger.debug({ queue, jobId: job.id, attempt }, 'job started');
    try {
      const result = await handler(job.data as never, { attempt });
      this.options.onFinish?.(queue, 'completed');
      return result;
    } catch (err) {
      const last = attempt >= RETRY.attempts || !isRetryable(err);
      this.options.onFinish?.(queue, last ? 'failed' : 'retried');
      const reason = encodeFailure(err);
      throw last ? new UnrecoverableError(reason) : new Error(reason);
    }
  }

  /** Starts reading the queue's event stream from its current end, once per queue. */
  private listen(queue: QueueName): Promise<void> {
    let started = this.listening.get(queue);
    if (started) return started;
    started = (async () => {
      // Reading from the last event id (not '$', "from whenever the first read happens")
      // means no event between this call and the first read is lost.
      const [last] = await this.producer.xrevrange(this.queue(queue).keys.events!, '+', '-', 'COUNT', 1);
      const events = new QueueEvents(queue, { connection: this.connect({ maxRetriesPerRequest: null }), prefix: this.options.prefix, lastEventId: last?.[0] ?? '0-0' });
      events.on('completed', ({ jobId, returnvalue }) => this.settle(queue, jobId, (waiter) => waiter.resolve(returnvalue)));
      events.on('failed', ({ jobId, failedReason }) => this.settle(queue, jobId, (waiter) => waiter.reject(decodeFailure(failedReason))));
      events.on('error', (err) => this.options.logger.debug({ err: err.message, queue }, 'queue events error'));
      this.closers.push(() => events.close());
    })();
    started.catch(() => this.listening.delete(queue));
    this.listening.set(queue, started);
    return started;
  }

  private settle(queue: QueueName, jobId: string, answer: (waiter: Waiter) => void): void {
    for (const waiter of this.waiters.get(`${queue}/${jobId}`) ?? []) answer(waiter);
  }

  private queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.producer, prefix: this.options.prefix });
      queue.on('error', (err) => this.options.logger.debug({ err: err.message, queue: name }, 'queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private connect(options: RedisOptions): Redis {
    const connection = connectRedis(this.options.url, this.options.logger, options);
    this.connections.push(connection);
    return connection;
  }

  /** Redis errors and a Redis that does not answer in time become 503 for the client. */
  private async available<T>(pending: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ADD_TIMEOUT_MS / 1000}s`)), ADD_TIMEOUT_MS);
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (err) {
      throw new HttpError(503, `the job queue is unavailable (Redis at ${redisHost(this.options.url)}: ${(err as Error).message}); try again shortly`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** BullMQ keeps a failure as its message: the status travels in front of it. */
function encodeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? `[${status}] ${message}` : message;
}

function decodeFailure(reason: string): Error {
  const match = /^\[(\d{3})\] ([\s\S]*)$/.exec(reason);
  return match ? new HttpError(Number(match[1]), match[2]!) : new Error(reason);
}
