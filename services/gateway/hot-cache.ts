/**
 * A least-recently-used map bounded by the bytes of its values. Map iteration order is
 * insertion order, so re-inserting on every hit keeps the oldest entry first.
 */
export class HotCache<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private used = 0;

  constructor(
    private readonly capacity: number,
    private readonly onResize: (bytes: number) => void = () => {},
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, size: number): void {
    this.delete(key);
    if (size > this.capacity / 4) return; // one huge value would flush everything else
    this.entries.set(key, { value, size });
    this.used += size;
    for (const [oldest, entry] of this.entries) {
      if (this.used <= this.capacity) break;
      this.entries.delete(oldest);
      this.used -= entry.size;
    }
    this.onResize(this.used);
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.size;
    this.onResize(this.used);
  }

  get bytes(): number {
    return this.used;
  }
}
