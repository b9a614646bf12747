/** Serialises one port's hellos and windows into the WindowSink, in order, with seqs allocated at submission. */
import type { EnergyWindow } from '../../domain/types.js';
import type { DeviceHello, WindowSink } from '../window-sink.js';
import type { SeqAllocator } from './seq-allocator.js';

/** Queued sink calls per port. At one window per 10 s, 256 is > 40 min of a stalled store; beyond, drop and count. */
export const MAX_PENDING_DELIVERIES = 256;

export type WindowDraft = Omit<EnergyWindow, 'seq'>;

export interface DeliveryCounters {
  windowsSubmitted: number;
  windowsInserted: number;
  windowsDuplicate: number;
  windowsDropped: number;
  deliveryErrors: number;
}

export class WindowDelivery {
  readonly counters: DeliveryCounters = {
    windowsSubmitted: 0,
    windowsInserted: 0,
    windowsDuplicate: 0,
    windowsDropped: 0,
    deliveryErrors: 0,
  };
  lastError: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly sink: WindowSink,
    private readonly seqs: SeqAllocator,
  ) {}

  announce(hello: DeviceHello): void {
    this.enqueue(0, async () => {
      await this.sink.announce(hello);
      await this.seqs.beginSession(hello.deviceId);
    });
  }

  submit(drafts: readonly WindowDraft[]): void {
    if (drafts.length === 0) return;
    this.enqueue(drafts.length, async () => {
      const windows = drafts.map((draft) => ({ ...draft, seq: this.seqs.next(draft.deviceId) }));
      this.counters.windowsSubmitted += windows.length;
      const result = await this.sink.submitWindows(windows);
      this.counters.windowsInserted += result.inserted;
      this.counters.windowsDuplicate += result.duplicates;
    });
  }

  /** Resolves once everything queued so far has been delivered (or failed). */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(windowCount: number, task: () => Promise<void>): void {
    if (this.pending >= MAX_PENDING_DELIVERIES) {
      this.counters.windowsDropped += windowCount;
      return;
    }
    this.pending += 1;
    this.chain = this.chain.then(task).then(
      () => {
        this.pending -= 1;
      },
      (error: unknown) => {
        this.pending -= 1;
        this.counters.deliveryErrors += 1;
        this.lastError = error instanceof Error ? error.message : String(error);
      },
    );
  }
}
