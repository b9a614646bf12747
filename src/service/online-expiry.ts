/**
 * When each device counted online by the age of its last window stops being online: a binary min-heap of
 * (expiry ms, slot, generation). Stale entries (a device updated since, or now online by presence) carry an old
 * generation and are dropped when they reach the top, so an update is O(log n) and advancing the clock costs only the
 * devices that expired since the last call.
 */
export class OnlineExpiryHeap {
  private readonly expiryMs: number[] = [];
  private readonly slots: number[] = [];
  private readonly generations: number[] = [];

  get size(): number {
    return this.expiryMs.length;
  }

  push(expiryMs: number, slot: number, generation: number): void {
    this.expiryMs.push(expiryMs);
    this.slots.push(slot);
    this.generations.push(generation);
    this.up(this.expiryMs.length - 1);
  }

  /** The earliest expiry, or Infinity when empty. */
  peekMs(): number {
    return this.expiryMs.length === 0 ? Infinity : this.expiryMs[0]!;
  }

  /** Remove the earliest entry; undefined when empty. */
  pop(): { expiryMs: number; slot: number; generation: number } | undefined {
    if (this.expiryMs.length === 0) return undefined;
    const top = { expiryMs: this.expiryMs[0]!, slot: this.slots[0]!, generation: this.generations[0]! };
    const lastExpiry = this.expiryMs.pop()!;
    const lastSlot = this.slots.pop()!;
    const lastGeneration = this.generations.pop()!;
    if (this.expiryMs.length > 0) {
      this.expiryMs[0] = lastExpiry;
      this.slots[0] = lastSlot;
      this.generations[0] = lastGeneration;
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.expiryMs.length = 0;
    this.slots.length = 0;
    this.generations.length = 0;
  }

  private swap(a: number, b: number): void {
    [this.expiryMs[a], this.expiryMs[b]] = [this.expiryMs[b]!, this.expiryMs[a]!];
    [this.slots[a], this.slots[b]] = [this.slots[b]!, this.slots[a]!];
    [this.generations[a], this.generations[b]] = [this.generations[b]!, this.generations[a]!];
  }

  private up(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (this.expiryMs[parent]! <= this.expiryMs[child]!) return;
      this.swap(parent, child);
      child = parent;
    }
  }

  private down(index: number): void {
    const n = this.expiryMs.length;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < n && this.expiryMs[left]! < this.expiryMs[smallest]!) smallest = left;
      if (right < n && this.expiryMs[right]! < this.expiryMs[smallest]!) smallest = right;
      if (smallest === parent) return;
      this.swap(parent, smallest);
      parent = smallest;
    }
  }
}
