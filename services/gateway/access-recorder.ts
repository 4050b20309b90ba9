import type { Context } from '../../shared/context.js';
import { recordAccess, type AccessCount } from '../../shared/db/artifacts.js';

const FLUSH_EVERY_MS = 5000;

/** Counts artifact hits in memory and writes them in batches, keeping writes off the hot path. */
export class AccessRecorder {
  private pending = new Map<string, AccessCount>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly ctx: Context) {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  record(ecosystem: string, path: string): void {
    this.add(ecosystem, path, 1, Date.now());
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const counts = [...this.pending.values()];
    this.pending = new Map();
    await recordAccess(this.ctx.db, counts).catch((err: unknown) => {
      // Kept for the next flush, so that hits served while the database is down still count.
      this.ctx.logger.warn({ err: (err as Error).message }, 'could not record artifact hits; retrying with the next batch');
      for (const count of counts) this.add(count.ecosystem, count.path, count.hits, count.lastAccessAt);
    });
  }

  private add(ecosystem: string, path: string, hits: number, at: number): void {
    const key = `${ecosystem}\0${path}`;
    const count = this.pending.get(key);
    if (count) {
      count.hits += hits;
      count.lastAccessAt = Math.max(count.lastAccessAt, at);
    } else {
      this.pending.set(key, { ecosystem, path, hits, lastAccessAt: at });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
