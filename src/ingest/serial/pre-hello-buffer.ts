/**
 * Lines kept before a session's first hello (SPEC §4.1), bounded in lines and bytes: a FIFO that drops its oldest
 * entries when full and says how many it dropped, so the caller can count them. No O(n) shift per line.
 */
export class PreHelloBuffer<T> {
  private items: Array<{ item: T; bytes: number }> = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxLines: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** Keeps `item`; returns how many of the oldest were dropped to stay within both bounds. */
  push(item: T, bytes: number): number {
    this.items.push({ item, bytes });
    this.bytes += bytes;
    let dropped = 0;
    while (this.size > this.maxLines || this.bytes > this.maxBytes) {
      this.bytes -= this.items[this.head]!.bytes;
      this.head += 1;
      dropped += 1;
    }
    if (this.head > this.maxLines) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  /** Everything kept, oldest first; the buffer is empty afterwards. */
  takeAll(): T[] {
    const kept = this.items.slice(this.head).map((entry) => entry.item);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return kept;
  }
}
