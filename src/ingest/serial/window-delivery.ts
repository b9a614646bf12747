/**
 * Serialises one port's hellos and windows into the WindowSink, in order, with seqs allocated at submission.
 *
 * A failed sink call (SQLITE_BUSY, a store restarting) must not cost more than the windows it carried, and those only
 * after bounded retries: a hello the sink refused, or one that found the queue full, stays pending and is retried
 * before that device's next windows; the session's seq start (SeqAllocator.beginSession) does not depend on the
 * announce succeeding. Windows still failing after the last retry are dropped and counted in `windowsDropped`.
 */
import type { EnergyWindow } from '../../domain/types.js';
import { Counters, total, type CounterSpecs } from '../../obs/counters.js';
import type { DeviceHello, WindowDraft, WindowSink } from '../window-sink.js';
import { Backoff } from '../../util/backoff.js';
import type { BackoffPolicy } from '../../util/backoff.js';
import type { SeqAllocator } from './seq-allocator.js';

/** Queued sink calls per port. At one window per 10 s, 256 is > 40 min of a stalled store; beyond, drop and count. */
export const MAX_PENDING_DELIVERIES = 256;

export interface DeliveryRetryPolicy {
  /** Tries per delivery, the first included. */
  attempts: number;
  backoff: BackoffPolicy;
}

/**
 * 4 tries, 250 ms doubling to 1 s between them (< 2 s of waiting; SqliteStore already waits 5 s on a busy lock inside
 * each try). While the sink keeps failing (a delivery ran out of tries and nothing succeeded since), each delivery
 * gets one try, so a dead store drains the queue instead of stalling it for seconds per window.
 */
export const DEFAULT_DELIVERY_RETRY: Readonly<DeliveryRetryPolicy> = Object.freeze({
  attempts: 4,
  backoff: Object.freeze({ initialMs: 250, maxMs: 1_000, factor: 2, jitter: 'equal' }),
});

export type { WindowDraft } from '../window-sink.js';

/** What a port's delivery into the sink counts (shown with the port's counters in health). */
export const DELIVERY_COUNTERS = {
  windowsSubmitted: total('Windows handed to the sink (each once, however often retried).'),
  windowsInserted: total('Windows the sink stored.'),
  windowsDuplicate: total('Windows the sink had stored already (a retry of a write that did land).'),
  windowsDropped: total('Windows never stored: the delivery queue was full, or the sink still failed after the last retry.'),
  deliveryErrors: total('Deliveries (announce or windows) that failed after the last retry.'),
  deliveryRetries: total('Retries of failed sink calls (each one counted, successful or not).'),
} as const satisfies CounterSpecs<string>;

export type DeliveryCounters = Record<keyof typeof DELIVERY_COUNTERS, number>;

export interface WindowDeliveryOptions {
  retry?: DeliveryRetryPolicy;
  maxPending?: number;
  random?: () => number;
}

export class WindowDelivery {
  private readonly count = new Counters(DELIVERY_COUNTERS);
  /** What made the last failed delivery fail: its first error (the cause), and the last one if it differs. */
  lastError: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  /** Hellos the sink has not accepted yet, by device: retried before that device's next windows. */
  private readonly unannounced = new Map<string, DeviceHello>();
  /** Devices whose new session still needs its seq start (SeqAllocator.beginSession). */
  private readonly sessionsToBegin = new Set<string>();
  /** A delivery ran out of tries and none succeeded since: one try per delivery until one does. */
  private isFailing = false;
  private readonly retry: DeliveryRetryPolicy;
  private readonly maxPending: number;
  /** Reset before each delivery: retries of one delivery back off, the next delivery starts from the first delay. */
  private readonly backoff: Backoff;

  constructor(
    private readonly sink: WindowSink,
    private readonly seqs: SeqAllocator,
    options: WindowDeliveryOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_DELIVERY_RETRY;
    this.maxPending = options.maxPending ?? MAX_PENDING_DELIVERIES;
    this.backoff = new Backoff(this.retry.backoff, options.random ?? Math.random);
  }

  get counters(): DeliveryCounters {
    return this.count.snapshot();
  }

  /** A session learned its device. Never lost: if this delivery fails or is not queued, the device's next windows redo it. */
  announce(hello: DeviceHello): void {
    this.unannounced.set(hello.deviceId, hello);
    this.sessionsToBegin.add(hello.deviceId);
    // Queued (when there is room) so the device appears before its first window closes.
    this.enqueue(0, `hello of ${hello.deviceId}`, async () => {
      await this.prepare(hello.deviceId);
    });
  }

  submit(drafts: readonly WindowDraft[]): void {
    if (drafts.length === 0) return;
    const deviceIds = [...new Set(drafts.map((draft) => draft.deviceId))];
    let windows: EnergyWindow[] | null = null;
    this.enqueue(drafts.length, `deliver ${drafts.length} window${drafts.length === 1 ? '' : 's'} of ${deviceIds.join(', ')}`, async () => {
      for (const deviceId of deviceIds) await this.prepare(deviceId);
      if (windows === null) {
        // Seqs are allocated once: a retry resends the same (deviceId, seq), so a write that did land is a duplicate.
        windows = drafts.map((draft) => ({ ...draft, seq: this.seqs.next(draft.deviceId) }));
        this.count.add('windowsSubmitted', windows.length);
      }
      const result = await this.sink.submitWindows(windows);
      this.count.add('windowsInserted', result.inserted);
      this.count.add('windowsDuplicate', result.duplicates);
    });
  }

  /** Resolves once everything queued so far has been delivered (or failed). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Begins the device's session and announces it, whichever of the two is still owed. */
  private async prepare(deviceId: string): Promise<void> {
    if (this.sessionsToBegin.has(deviceId)) {
      try {
        await this.seqs.beginSession(deviceId);
      } catch (error) {
        throw new Error(`seq start of ${deviceId}: ${describe(error)}`, { cause: error });
      }
      this.sessionsToBegin.delete(deviceId);
    }
    const hello = this.unannounced.get(deviceId);
    if (hello !== undefined) {
      try {
        await this.sink.announce(hello);
      } catch (error) {
        throw new Error(`announce ${deviceId}: ${describe(error)}`, { cause: error });
      }
      // A newer hello (board / firmware changed) that arrived meanwhile stays pending.
      if (this.unannounced.get(deviceId) === hello) this.unannounced.delete(deviceId);
    }
  }

  private enqueue(windowCount: number, what: string, task: () => Promise<void>): void {
    if (this.pending >= this.maxPending) {
      // A hello left out here is not lost: it stays pending and the device's next queued windows deliver it first.
      if (windowCount === 0) return;
      this.count.add('windowsDropped', windowCount);
      this.lastError ??= `delivery queue full (${this.maxPending} pending): ${what} dropped`;
      return;
    }
    this.pending += 1;
    this.chain = this.chain.then(async () => {
      const isDelivered = await this.withRetries(what, task);
      if (!isDelivered) this.count.add('windowsDropped', windowCount);
      this.pending -= 1;
    });
  }

  /** Runs `task` up to the policy's tries, with backoff between them. Never rejects. */
  private async withRetries(what: string, task: () => Promise<void>): Promise<boolean> {
    const attempts = this.isFailing ? 1 : Math.max(1, this.retry.attempts);
    let firstError: unknown = undefined;
    let lastError: unknown = undefined;
    this.backoff.reset();
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      if (attempt > 0) {
        this.count.add('deliveryRetries');
        await sleep(this.backoff.nextDelayMs());
      }
      try {
        await task();
        this.isFailing = false;
        return true;
      } catch (error) {
        if (attempt === 0) firstError = error;
        lastError = error;
      }
    }
    this.isFailing = true;
    this.count.add('deliveryErrors');
    const first = describe(firstError);
    const last = describe(lastError);
    const tries = `${attempts} ${attempts === 1 ? 'try' : 'tries'}`;
    this.lastError = `${what} failed after ${tries}: ${first}${last === first ? '' : ` (last try: ${last})`}`;
    return false;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
