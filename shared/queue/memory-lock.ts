import { randomUUID } from 'node:crypto';
import type { Lease, LockService } from './lock.js';

/** Locks for one process. */
export class MemoryLockService implements LockService {
  private readonly held = new Map<string, { token: string; expiresAt: number }>();

  async tryAcquire(key: string, ttlMs: number): Promise<Lease | undefined> {
    const current = this.held.get(key);
    if (current && current.expiresAt > Date.now()) return undefined;
    const token = randomUUID();
    this.held.set(key, { token, expiresAt: Date.now() + ttlMs });
    return {
      extend: async (ms) => {
        const entry = this.held.get(key);
        if (entry?.token !== token) return false;
        entry.expiresAt = Date.now() + ms;
        return true;
      },
      release: async () => {
        if (this.held.get(key)?.token === token) this.held.delete(key);
      },
    };
  }

  async close(): Promise<void> {
    this.held.clear();
  }
}
