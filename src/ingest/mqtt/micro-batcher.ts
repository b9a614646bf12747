/**
 * Group commit: items that arrive within a few milliseconds share one flush (one SQLite transaction, one fsync),
 * and each caller's promise settles only when its flush has finished. Compatible with ack-after-store: the MQTT
 * ack of every item is sent after the flush that stored it. Bounded: beyond `maxPending` items `add` rejects
 * at once with OverloadError (the caller counts it and does not ack, so the broker redelivers).
 */

/** How long the first item of an idle batcher waits for company (ms): a few ms of latency buys one fsync per batch. */
export const DEFAULT_BATCH_LINGER_MS = 2;
/** Items per flush at most: bounds one transaction's duration (≈ 1 ms per 100 windows) and the event-loop stall. */
export const DEFAULT_MAX_BATCH_ITEMS = 500;
/** Items waiting or being flushed at most: above the reader's receive maximum, so only a misbehaving broker hits it. */
export const DEFAULT_MAX_PENDING_ITEMS = 5_000;

export class OverloadError extends Error {
  readonly code = 'overload' as const;
  constructor(limit: number) {
    super(`more than ${limit} items waiting to be stored`);
    this.name = 'OverloadError';
  }
}

export class BatcherClosedError extends Error {
  readonly code = 'batcher_closed' as const;
  constructor() {
    super('batcher is closed');
    this.name = 'BatcherClosedError';
  }
}

export interface MicroBatcherOptions {
  lingerMs?: number;
  maxBatchItems?: number;
  maxPendingItems?: number;
}

/** Flush a batch; returns one result per item, in order. A throw rejects every item of the batch. */
export type FlushFunction<T, R> = (items: readonly T[]) => Promise<readonly R[]>;

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<T, R> {
  private queue: Pending<T, R>[] = [];
  private flushing = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly lingerMs: number;
  private readonly maxBatchItems: number;
  private readonly maxPendingItems: number;

  constructor(
    private readonly flush: FlushFunction<T, R>,
    options: MicroBatcherOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? DEFAULT_BATCH_LINGER_MS;
    this.maxBatchItems = options.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS;
    this.maxPendingItems = options.maxPendingItems ?? DEFAULT_MAX_PENDING_ITEMS;
  }

  /** Items queued or in the flush under way. */
  get pending(): number {
    return this.queue.length + this.flushing;
  }

  add(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new BatcherClosedError());
    if (this.pending >= this.maxPendingItems) return Promise.reject(new OverloadError(this.maxPendingItems));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Stop accepting items and wait until everything already added has been flushed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pending === 0) return;
    if (this.timer === null && this.flushing === 0) this.schedule();
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.flushing > 0 || this.timer !== null) return;
    if (this.queue.length >= this.maxBatchItems || this.closed) {
      this.timer = setImmediate(() => this.run());
    } else {
      this.timer = setTimeout(() => this.run(), this.lingerMs);
    }
  }

  private run(): void {
    this.timer = null;
    const batch = this.queue.splice(0, this.maxBatchItems);
    if (batch.length === 0) {
      this.notifyIdle();
      return;
    }
    this.flushing = batch.length;
    let settled: Promise<readonly R[]>;
    try {
      settled = this.flush(batch.map((pending) => pending.item));
    } catch (error) {
      settled = Promise.reject(error);
    }
    settled
      .then(
        (results) => {
          batch.forEach((pending, index) => {
            if (index < results.length) pending.resolve(results[index] as R);
            else pending.reject(new Error(`flush returned ${results.length} results for ${batch.length} items`));
          });
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error);
        },
      )
      .finally(() => {
        this.flushing = 0;
        if (this.queue.length > 0) {
          // setImmediate, not a microtask: lets the poll phase read more messages into the next batch.
          this.timer = setImmediate(() => this.run());
        } else {
          this.notifyIdle();
        }
      });
  }

  private notifyIdle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
