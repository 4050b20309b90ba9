/**
 * A map bounded by the summed size of its values (bytes, or 1 per entry for a count bound).
 * Eviction is second-chance: a hit only marks its entry, so the hot path never reorders the
 * map; when room is needed, marked entries at the old end are moved to the new end unmarked
 * and the first unmarked one goes. Map iteration order is insertion order.
 */
export class HotCache<V> {
  private readonly entries = new Map<string, { value: V; size: number; used: boolean }>();
  private total = 0;

  constructor(
    private readonly capacity: number,
    private readonly onResize: (size: number) => void = () => {},
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.used = true;
    return entry.value;
  }

  set(key: string, value: V, size: number): void {
    this.delete(key);
    if (size > this.capacity / 4) return; // one huge value would flush everything else
    this.entries.set(key, { value, size, used: false });
    this.total += size;
    // Entries moved to the end are met again later in this loop, unmarked, so it ends.
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.capacity) break;
      if (oldest === key) continue; // never the victim of its own arrival
      this.entries.delete(oldest);
      if (entry.used) {
        entry.used = false;
        this.entries.set(oldest, entry);
      } else {
        this.total -= entry.size;
      }
    }
    this.onResize(this.total);
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.size;
    this.onResize(this.total);
  }
}
