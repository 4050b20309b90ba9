import type { QueueName, Queues } from './jobs.js';

export interface AddOptions {
  /** Jobs with the same id while one is waiting or running are one job. */
  jobId: string;
  /** Lower runs first; default 10. */
  priority?: number;
}

export interface JobContext {
  /** Attempt number, from 1. */
  attempt: number;
}

export type JobHandler<Q extends QueueName> = (data: Queues[Q]['data'], context: JobContext) => Promise<Queues[Q]['result']>;

/**
 * Background work shared by every role. A handler that throws is retried with backoff,
 * except for errors carrying a 4xx or 504 `status` (an upstream that timed out already took
 * its full timeout) or marked `final` (an integrity failure). A waiter receives the final error with its `status` and message intact.
 */
export interface JobQueue {
  /** Queues a job unless the same job is already waiting or running. */
  add<Q extends QueueName>(queue: Q, data: Queues[Q]['data'], options: AddOptions): Promise<void>;
  /** Queues (or joins) a job and waits for its result, at most timeoutMs; rejects with JobWaitTimeout after. */
  run<Q extends QueueName>(queue: Q, data: Queues[Q]['data'], options: AddOptions & { timeoutMs: number }): Promise<Queues[Q]['result']>;
  /** Processes a queue's jobs in this process. */
  work<Q extends QueueName>(queue: Q, handler: JobHandler<Q>, options: { concurrency: number }): void;
  /** Rejects when the queue's backend cannot be reached, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class JobWaitTimeout extends Error {
  constructor(readonly queue: QueueName, readonly timeoutMs: number) {
    super(`${queue} job still running after ${Math.round(timeoutMs / 1000)}s`);
  }
}

/** Tries per job and the delay before each retry. */
export const RETRY = { attempts: 3, backoffMs: (attempt: number) => 250 * 2 ** (attempt - 1) };

export function isRetryable(error: unknown): boolean {
  const { status, final } = error as { status?: unknown; final?: unknown };
  if (final === true) return false;
  return !(typeof status === 'number' && ((status >= 400 && status < 500) || status === 504));
}
