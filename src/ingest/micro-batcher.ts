/**
 * The group-commit mechanism: items that arrive within a few milliseconds share one flush (for the ingest service,
 * one SQLite transaction and one fsync), and each caller's promise settles only when its own flush has finished, so an
 * acknowledgement sent after it (PUBACK, 201) always follows the commit that holds the item. While a flush runs, new
 * items queue up and go together in the next one. Bounded: beyond `maxPendingItems` (in `sizeOf` units) `add` rejects
 * at once with OverloadError (the caller counts it and does not acknowledge).
 * Two ways in: `add` (a promise per item) and `addWith` (a callback per item, no promise: a broker acking thousands of
 * messages per second settles a whole batch with the one promise of its flush).
 * Pipelining (`maxConcurrentFlushes` > 1): the next flush may start while earlier ones are still pending, for a flush
 * function that does its work when called and only waits afterwards (the SQLite store commits within the call and
 * then waits for the WAL's fdatasync). Flushes still start in the order their items came, and they settle in the
 * order they started, so items are always done in the order they were added.
 */

/** How long the first item of an idle batcher waits for company (ms): a few ms of latency buys one fsync per batch. */
export const DEFAULT_BATCH_LINGER_MS = 2;
/** Size per flush at most (sizeOf units): bounds one flush's duration and event-loop stall. An item larger than this goes alone. */
export const DEFAULT_MAX_BATCH_ITEMS = 500;
/** Size waiting or being flushed at most (sizeOf units); beyond, `add` rejects with OverloadError. */
export const DEFAULT_MAX_PENDING_ITEMS = 5_000;
/** Flushes pending at once by default: one (the next batch starts once the previous flush has settled). */
export const DEFAULT_MAX_CONCURRENT_FLUSHES = 1;

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
  /** Flushes started and not yet settled at most (≥ 1); they settle in the order they started. */
  maxConcurrentFlushes?: number;
  /** An item's size for the two limits (windows of a request); default 1 per item. */
  sizeOf?: (item: T) => number;
}

/** Flush a batch; returns one result per item, in order. A throw rejects every item of the batch. */
export type FlushFunction<T, R> = (items: readonly T[]) => Promise<readonly R[]>;

/** How one item of `addWith` ends: `error` null and its result, or the error that failed its flush (never null). */
export type ItemCallback<R> = (error: unknown, result?: R) => void;

interface Pending<T, R> {
  item: T;
  size: number;
  done: ItemCallback<R>;
}

/** A flush started and not yet settled; `finished` once its promise settled (it waits for the flushes before it). */
interface Flight<T, R> {
  batch: Pending<T, R>[];
  size: number;
  finished: { results: readonly R[] | null; error: unknown } | null;
}

/** A flush rejected with null or undefined: still an error for its items (the callbacks' null means success). */
function asError(error: unknown): unknown {
  return error ?? new Error('flush failed without an error');
}

export class MicroBatcher<T, R> {
  private queue: Pending<T, R>[] = [];
  /** Total size of `queue`. */
  private queued = 0;
  /** Total size of the flushes under way. */
  private flushing = 0;
  /** The flushes under way, in the order they started. */
  private flights: Flight<T, R>[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly lingerMs: number;
  private readonly maxBatchItems: number;
  private readonly maxPendingItems: number;
  private readonly maxConcurrentFlushes: number;
  private readonly sizeOf: (item: T) => number;

  constructor(
    private readonly flush: FlushFunction<T, R>,
    options: MicroBatcherOptions<T> = {},
  ) {
    this.lingerMs = options.lingerMs ?? DEFAULT_BATCH_LINGER_MS;
    this.maxBatchItems = options.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS;
    this.maxPendingItems = options.maxPendingItems ?? DEFAULT_MAX_PENDING_ITEMS;
    this.maxConcurrentFlushes = Math.max(1, Math.floor(options.maxConcurrentFlushes ?? DEFAULT_MAX_CONCURRENT_FLUSHES));
    this.sizeOf = options.sizeOf ?? (() => 1);
  }

  /** Size queued or in the flush under way (items, or sizeOf units). */
  get pending(): number {
    return this.queued + this.flushing;
  }

  /** Resolves with the item's result once its flush has finished; rejects at once when refused (OverloadError, closed). */
  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.addWith(item, (error, result) => {
        if (error === null) resolve(result as R);
        else reject(error);
      });
    });
  }

  /**
   * Queue an item; `done` is called once its flush has finished (never before this returns). Throws at once, and
   * never calls `done`, when the item is refused: OverloadError beyond `maxPendingItems`, BatcherClosedError.
   */
  addWith(item: T, done: ItemCallback<R>): void {
    if (this.closed) throw new BatcherClosedError();
    const size = this.sizeOf(item);
    // An item larger than the limit on its own (an import of many windows, bounded by its source's own cap) is always
    // taken: refusing it whenever anything else waits would refuse it for as long as a fleet keeps publishing. While
    // it waits the pending size is over the limit, so other items are refused (back-pressure) until it is flushed.
    if (size <= this.maxPendingItems && this.pending > 0 && this.pending + size > this.maxPendingItems) {
      throw new OverloadError(this.maxPendingItems);
    }
    this.queue.push({ item, size, done });
    this.queued += size;
    this.schedule();
  }

  /** Stop accepting items and wait until everything already added has been flushed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pending === 0) return;
    if (this.timer === null && this.flights.length === 0) this.schedule();
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.flights.length >= this.maxConcurrentFlushes || this.timer !== null) return;
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
    this.flushing += size;
    const flight: Flight<T, R> = { batch, size, finished: null };
    this.flights.push(flight);
    const items: T[] = new Array<T>(batch.length);
    for (let index = 0; index < batch.length; index += 1) items[index] = (batch[index] as Pending<T, R>).item;
    let settled: Promise<readonly R[]>;
    try {
      settled = this.flush(items);
    } catch (error) {
      settled = Promise.reject(error);
    }
    settled.then(
      (results) => this.finish(flight, results, null),
      (error: unknown) => this.finish(flight, null, asError(error)),
    );
    // Pipelining: what is queued already (beyond one batch) or comes while this flush waits may start the next one.
    if (this.queue.length > 0) this.schedule();
  }

  /** A flush settled: it and every finished flight after it settle in start order; then the next batch is scheduled. */
  private finish(flight: Flight<T, R>, results: readonly R[] | null, error: unknown): void {
    flight.finished = { results, error };
    while (this.flights.length > 0 && (this.flights[0] as Flight<T, R>).finished !== null) {
      const head = this.flights[0] as Flight<T, R>;
      const finished = head.finished as NonNullable<Flight<T, R>['finished']>;
      // The flight stays counted while its callbacks run: an item one of them adds waits for a batch scheduled below.
      this.settle(head.batch, finished.results, finished.error);
      this.flights.shift();
      this.flushing -= head.size;
    }
    if (this.queue.length > 0) {
      if (this.timer === null && this.flights.length < this.maxConcurrentFlushes) {
        // setImmediate, not a microtask: lets the poll phase read more messages into the next batch.
        this.timer = setImmediate(() => this.run());
      }
    } else if (this.flights.length === 0) {
      this.notifyIdle();
    }
  }

  /** Every item of a finished flush gets its result (or the flush's error). */
  private settle(batch: readonly Pending<T, R>[], results: readonly R[] | null, error: unknown): void {
    for (let index = 0; index < batch.length; index += 1) {
      const { done } = batch[index] as Pending<T, R>;
      try {
        if (results === null) done(error);
        else if (index < results.length) done(null, results[index] as R);
        else done(new Error(`flush returned ${results.length} results for ${batch.length} items`));
      } catch (thrown) {
        // A callback that throws must not keep the rest of the batch from settling; surface it as an uncaught error.
        queueMicrotask(() => {
          throw thrown;
        });
      }
    }
  }

  private notifyIdle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
