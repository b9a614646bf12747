/**
 * The group-commit mechanism: items that arrive within a few milliseconds share one flush (for the ingest service,
 * one SQLite transaction and one fsync), and each caller's promise settles only when its own flush has finished, so an
 * acknowledgement sent after it (PUBACK, 201) always follows the commit that holds the item. While a flush runs, new
 * items queue up and go together in the next one. Bounded: beyond `maxPendingItems` (in `sizeOf` units) `add` rejects
 * at once with OverloadError (the caller counts it and does not acknowledge).
 */

/** How long the first item of an idle batcher waits for company (ms): a few ms of latency buys one fsync per batch. */
export const DEFAULT_BATCH_LINGER_MS = 2;
/** Size per flush at most (sizeOf units): bounds one flush's duration and event-loop stall. An item larger than this goes alone. */
export const DEFAULT_MAX_BATCH_ITEMS = 500;
/** Size waiting or being flushed at most (sizeOf units); beyond, `add` rejects with OverloadError. */
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

export interface MicroBatcherOptions<T = unknown> {
  lingerMs?: number;
  maxBatchItems?: number;
  maxPendingItems?: number;
  /** An item's size for the two limits (windows of a request); default 1 per item. */
  sizeOf?: (item: T) => number;
}

/** Flush a batch; returns one result per item, in order. A throw rejects every item of the batch. */
export type FlushFunction<T, R> = (items: readonly T[]) => Promise<readonly R[]>;

interface Pending<T, R> {
  item: T;
  size: number;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<T, R> {
  private queue: Pending<T, R>[] = [];
  /** Total size of `queue`. */
  private queued = 0;
  /** Total size of the flush under way. */
  private flushing = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly lingerMs: number;
  private readonly maxBatchItems: number;
  private readonly maxPendingItems: number;
  private readonly sizeOf: (item: T) => number;

  constructor(
    private readonly flush: FlushFunction<T, R>,
    options: MicroBatcherOptions<T> = {},
  ) {
    this.lingerMs = options.lingerMs ?? DEFAULT_BATCH_LINGER_MS;
    this.maxBatchItems = options.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS;
    this.maxPendingItems = options.maxPendingItems ?? DEFAULT_MAX_PENDING_ITEMS;
    this.sizeOf = options.sizeOf ?? (() => 1);
  }

  /** Size queued or in the flush under way (items, or sizeOf units). */
  get pending(): number {
    return this.queued + this.flushing;
  }

  add(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new BatcherClosedError());
    const size = this.sizeOf(item);
    // An item larger than the limit on its own (an import of many windows, bounded by its source's own cap) is always
    // taken: refusing it whenever anything else waits would refuse it for as long as a fleet keeps publishing. While
    // it waits the pending size is over the limit, so other items are refused (back-pressure) until it is flushed.
    if (size <= this.maxPendingItems && this.pending > 0 && this.pending + size > this.maxPendingItems) {
      return Promise.reject(new OverloadError(this.maxPendingItems));
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, size, resolve, reject });
      this.queued += size;
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
    if (this.queued >= this.maxBatchItems || this.closed) {
      this.timer = setImmediate(() => this.run());
    } else {
      this.timer = setTimeout(() => this.run(), this.lingerMs);
    }
  }

  private run(): void {
    this.timer = null;
    let take = 0;
    let size = 0;
    while (take < this.queue.length && (take === 0 || size + (this.queue[take] as Pending<T, R>).size <= this.maxBatchItems)) {
      size += (this.queue[take] as Pending<T, R>).size;
      take += 1;
    }
    const batch = this.queue.splice(0, take);
    this.queued -= size;
    if (batch.length === 0) {
      this.notifyIdle();
      return;
    }
    this.flushing = size;
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
