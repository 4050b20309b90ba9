/**
 * Mutual exclusion across every process that shares the backend: the fetcher holds the lock
 * of an artifact while it downloads, so that one download happens per artifact.
 */
export interface LockService {
  /** Takes the lock for ttlMs if nobody holds it; undefined if somebody does. */
  tryAcquire(key: string, ttlMs: number): Promise<Lease | undefined>;
  close(): Promise<void>;
}

export interface Lease {
  /** Pushes the expiry out; false when the lease was lost (it expired and was taken). */
  extend(ttlMs: number): Promise<boolean>;
  release(): Promise<void>;
}

export class LockTimeout extends Error {}

/**
 * Runs fn under the lock: waits up to waitMs for it, renews it every third of its TTL while fn
 * runs, and releases it afterwards whether fn succeeded or failed.
 */
export async function withLock<T>(locks: LockService, key: string, fn: () => Promise<T>, options: { ttlMs: number; waitMs: number; pollMs?: number }): Promise<T> {
  const deadline = Date.now() + options.waitMs;
  let lease = await locks.tryAcquire(key, options.ttlMs);
  while (!lease) {
    if (Date.now() >= deadline) throw new LockTimeout(`lock ${key} still held after ${options.waitMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    lease = await locks.tryAcquire(key, options.ttlMs);
  }
  const held = lease;
  const renew = setInterval(() => void held.extend(options.ttlMs).catch(() => {}), Math.max(50, options.ttlMs / 3));
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    await held.release().catch(() => {});
  }
}
