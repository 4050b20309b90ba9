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
    const key = `${ecosystem}\0${path}`;
    const count = this.pending.get(key);
    if (count) {
      count.hits++;
      count.lastAccessAt = Date.now();
    } else {
      this.pending.set(key, { ecosystem, path, hits: 1, lastAccessAt: Date.now() });
    }
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const counts = [...this.pending.values()];
    this.pending = new Map();
    await recordAccess(this.ctx.db, counts).catch((err: unknown) => this.ctx.logger.warn({ err }, 'could not record artifact hits'));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
