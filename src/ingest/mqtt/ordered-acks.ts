/**
 * PUBACKs in the order the PUBLISHes arrived [MQTT-4.6.0-2]. Every QoS 1 message of one connection takes a place in
 * arrival order; its ack is released when it and every message before it are done. A window's ack waits for its batch
 * to commit, so the samples, hellos and rejected messages behind it wait too. A withheld ack (not stored: the broker
 * must redeliver) blocks the rest of the connection: acking later messages would skip it, and the reader drops the
 * connection anyway so that everything unacked comes again. Pure: the writer is injected.
 */

/** One message's place in the ack order. */
export interface AckTicket {
  /** The message is handled: its PUBACK goes out once every earlier message's has. */
  ack(): void;
  /** The message must not be acked: nothing after it on this connection is acked either. */
  withhold(): void;
}

interface Entry {
  messageId: number;
  done: boolean;
}

export class OrderedAcks {
  private readonly queue: Entry[] = [];
  private head = 0;
  private blocked = false;
  private waiters: { limit: number; resolve: () => void }[] = [];

  /** `send` writes one PUBACK (and returns false when the connection is gone: the rest is dropped). */
  constructor(private readonly send: (messageId: number) => boolean) {}

  /** Messages whose ack is waiting (for themselves or for an earlier one). */
  get waiting(): number {
    return this.blocked ? 0 : this.queue.length - this.head;
  }

  /** Take the next place; call in the order the PUBLISHes arrived. */
  enter(messageId: number): AckTicket {
    const entry: Entry = { messageId, done: false };
    if (!this.blocked) this.queue.push(entry);
    let settled = false;
    return {
      ack: () => {
        if (settled) return;
        settled = true;
        entry.done = true;
        this.release();
      },
      withhold: () => {
        if (settled) return;
        settled = true;
        this.block();
      },
    };
  }

  /** Resolves once fewer than `limit` acks are waiting (at once if so; also when the connection is gone). */
  below(limit: number): Promise<void> {
    if (this.waiting < limit) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ limit, resolve }));
  }

  /** The connection is gone: nothing more is sent. */
  close(): void {
    this.block();
  }

  private block(): void {
    this.blocked = true;
    this.queue.length = 0;
    this.head = 0;
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const waiting = this.waiting;
    const ready = this.waiters.filter((waiter) => waiting < waiter.limit);
    this.waiters = this.waiters.filter((waiter) => waiting >= waiter.limit);
    for (const waiter of ready) waiter.resolve();
  }

  private release(): void {
    while (!this.blocked && this.head < this.queue.length && this.queue[this.head]!.done) {
      const { messageId } = this.queue[this.head]!;
      this.head += 1;
      if (!this.send(messageId)) {
        this.block();
        return;
      }
    }
    // Compact now and then so the array does not grow with the connection's lifetime.
    if (this.head > 0 && this.head * 2 >= this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.wake();
  }
}
