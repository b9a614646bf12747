import { ValidationError, WindowRefusedError } from '../domain/errors.js';
import type { AppendOptions, AppendResult, Device, DeviceSpec, EnergyWindow, RefusedWindow, WindowRefusalReason } from '../domain/types.js';
import { WINDOW_REJECT_REASONS, windowRejection, type WindowRejection, type WindowRejectReason } from '../domain/window-plausibility.js';
import type { LiveBus } from '../live/live-bus.js';
import { Counters, counterFamily, ReasonCounts, total } from '../obs/counters.js';
import type { AppendGroupOutcome, AppendRequest, Store } from '../store/store.js';
import { MicroBatcher, OverloadError, type MicroBatcherOptions } from './micro-batcher.js';
import type { DeviceHello, SubmitResult, WindowSink } from './window-sink.js';

/**
 * Group commit of every source's windows (HTTP requests, embedded-broker and reader publishes, serial sessions): what
 * arrives while a commit runs, or within this linger of an idle moment, shares the next transaction and fsync. 2 ms is
 * well under a device's or an HTTP client's ack timeout and a fraction of one commit's fsync (≈ 2–8 ms measured on
 * this machine's disk: bench/store.ts), which is what it saves.
 */
export const INGEST_COMMIT_LINGER_MS = 2;
/**
 * Windows per transaction at most. The store spends ≈ 20 µs of CPU per window in a large batch (bench/store.ts), on
 * the event loop (better-sqlite3 is synchronous), so 500 windows hold it ≈ 10 ms; at ~7 ms per commit it still allows
 * > 30 000 windows/s. A request larger than this (an HTTP batch of up to 1 000) is committed alone.
 */
export const INGEST_COMMIT_MAX_WINDOWS = 500;
/**
 * Windows waiting for a commit at most: about a second of ingest at the goal rate (15 000 windows/s), a few MB of
 * memory. Beyond it the store is behind and a longer queue would only add latency, so a submission is refused at once
 * with OverloadError and counted (`submitsOverloaded`): MQTT withholds the PUBACK (the device re-sends), HTTP answers
 * 503 with Retry-After, a serial port retries with backoff.
 */
export const INGEST_COMMIT_MAX_PENDING_WINDOWS = 20_000;

export const INGEST_GROUP_COMMIT: Readonly<Required<Omit<MicroBatcherOptions, 'sizeOf'>>> = Object.freeze({
  lingerMs: INGEST_COMMIT_LINGER_MS,
  maxBatchItems: INGEST_COMMIT_MAX_WINDOWS,
  maxPendingItems: INGEST_COMMIT_MAX_PENDING_WINDOWS,
});

/**
 * Where committed windows go next when the local store is an outbox (store/outbox/outbox-writer.ts): told of every
 * commit, and asked before each one whether ingest may still acknowledge.
 */
export interface IngestOutbox {
  /** Why nothing more may be committed now (the backlog holds its cap), or null. */
  refusal(): string | null;
  notifyCommitted(windows: number): void;
}

/**
 * The outbox's backlog holds its cap: nothing stored. An OverloadError, so every source answers it as it answers a
 * full commit queue: MQTT withholds the PUBACK (the broker keeps the message), HTTP 503 with Retry-After, serial retries.
 */
export class BacklogFullError extends OverloadError {
  constructor(detail: string) {
    super(0);
    this.message = `the outbox is full: ${detail}`;
    this.name = 'BacklogFullError';
  }
}

/** Why ingest did not store a window: the window rules (domain/window-plausibility.ts), or the store's refusal. */
export const INGEST_REJECT_REASONS = [...WINDOW_REJECT_REASONS, 'overlap'] as const;
export type IngestRejectReason = (typeof INGEST_REJECT_REASONS)[number];
type Unlisted = Exclude<WindowRejectReason | WindowRefusalReason, IngestRejectReason>;
const everyReasonListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyReasonListed;

/** What ingest counts over every source (GET /api/health `ingest`). */
export const INGEST_FAMILY = counterFamily(
  'ingest',
  {
    windowsInserted: total('Windows stored, from every source.'),
    windowsDuplicate: total('Windows already stored (a redelivery or a retry); nothing changed.'),
    windowsSeqReset: total('Of windowsInserted: windows stored under a seq their device had used for another window (a reboot restarting seq).'),
    windowsRejected: total('Windows not stored: refused by the window rules, or by the store (overlap).'),
    devicesAnnounced: total('Devices registered by their first hello or window.'),
    submitsOverloaded: total('Submissions refused at once, nothing stored: the group-commit queue held its limit of windows, or the outbox backlog its cap.'),
    commits: total('Group commits: store transactions that held the windows of one or more submissions.'),
  },
  INGEST_REJECT_REASONS,
);

export interface IngestCounters {
  windowsInserted: number;
  windowsDuplicate: number;
  /** Of windowsInserted: windows stored under a seq their device had used for another window (a reboot restarting seq). */
  windowsSeqReset: number;
  /** Windows not stored: refused by the window rules, or by the store (overlap). */
  windowsRejected: number;
  /** Rejected windows by reason: the window rules (unit mistakes, unset clocks; malformed) or `overlap` (SPEC.md §7). */
  rejectedByReason: Partial<Record<IngestRejectReason, number>>;
  lastRejection: string | null;
  devicesAnnounced: number;
  /** Submissions refused at once (OverloadError), nothing stored: the group-commit queue was full. */
  submitsOverloaded: number;
  /** Store transactions, each holding one or more submissions' windows (group commit). */
  commits: number;
}

/** The single path from every reader into the store and the live bus. */
export class IngestService implements WindowSink {
  readonly family = INGEST_FAMILY;
  private readonly count = new Counters(INGEST_FAMILY.counters);
  private readonly rejections = new ReasonCounts(INGEST_REJECT_REASONS);
  private lastRejection: string | null = null;
  private readonly committer: MicroBatcher<AppendRequest, AppendGroupOutcome>;
  private outbox: IngestOutbox | null = null;

  constructor(
    private readonly store: Store,
    private readonly bus: LiveBus,
    private readonly defaultSpec: DeviceSpec,
    private readonly clock: () => number = Date.now,
    groupCommit: Omit<MicroBatcherOptions, 'sizeOf'> = INGEST_GROUP_COMMIT,
  ) {
    this.committer = new MicroBatcher(
      async (requests) => {
        this.count.add('commits');
        const outcomes = await this.store.appendWindowGroups(requests);
        const inserted = outcomes.reduce((sum, outcome) => sum + (outcome.ok ? outcome.result.inserted : 0), 0);
        if (inserted > 0) this.outbox?.notifyCommitted(inserted);
        return outcomes;
      },
      { ...INGEST_GROUP_COMMIT, ...groupCommit, sizeOf: (request) => request.windows.length },
    );
  }

  /** Feed committed windows to an outbox writer, and refuse submissions while its backlog holds its cap. */
  useOutbox(outbox: IngestOutbox | null): void {
    this.outbox = outbox;
  }

  /** Windows submitted and not yet committed. */
  get pendingWindows(): number {
    return this.committer.pending;
  }

  /** Commit what was submitted; later submissions reject (BatcherClosedError). Call before closing the store. */
  close(): Promise<void> {
    return this.committer.close();
  }

  /** The counters now, in the shape /api/health shows them. */
  get counters(): IngestCounters {
    const count = this.count.snapshot();
    return {
      windowsInserted: count.windowsInserted,
      windowsDuplicate: count.windowsDuplicate,
      windowsSeqReset: count.windowsSeqReset,
      windowsRejected: count.windowsRejected,
      rejectedByReason: this.rejections.snapshot(),
      lastRejection: this.lastRejection,
      devicesAnnounced: count.devicesAnnounced,
      submitsOverloaded: count.submitsOverloaded,
      commits: count.commits,
    };
  }

  async announce(hello: DeviceHello): Promise<Device> {
    const { device, created } = await this.store.ensureDevice({
      id: hello.deviceId,
      name: hello.board ? `${hello.deviceId} (${hello.board})` : hello.deviceId,
      fleet: hello.fleet ?? null,
      spec: this.defaultSpec,
    });
    if (created) {
      this.count.add('devicesAnnounced');
      this.bus.publish({ type: 'device', deviceId: device.id });
    }
    return device;
  }

  /**
   * Checks every window against the window rules (once: no source checks them again), stores the accepted ones
   * (resolves once the transaction holding them committed) and drops the others with a counted reason: a dropped
   * window is not retried, so a source must treat it as handled (MQTT acks it). With `onRefusal: 'refuse-batch'`
   * (HTTP) a refused window stores none of the batch: ValidationError naming the first one (counted all the same, as
   * the store's refusals). Submissions arriving together share one transaction (group commit), each judged alone: a
   * refusal fails only its own submission. OverloadError (counted) when the commit queue is full: nothing stored.
   */
  async submitWindows(windows: readonly EnergyWindow[], options: AppendOptions = {}): Promise<SubmitResult> {
    const nowMs = this.clock();
    const plausible: EnergyWindow[] = [];
    let firstRejection: (WindowRejection & { index: number }) | null = null;
    for (const [index, window] of windows.entries()) {
      const rejection = windowRejection(window, nowMs);
      if (rejection === null) {
        plausible.push(window);
        continue;
      }
      firstRejection ??= { ...rejection, index };
      this.countRejection(rejection.reason, `${window.source} ${window.deviceId}#${window.seq}: ${rejection.detail}`);
    }
    if (firstRejection !== null && options.onRefusal === 'refuse-batch') {
      const { index, detail, reason } = firstRejection;
      throw new ValidationError(`windows.${index}: ${detail}`, [`reason: ${reason}`]);
    }
    const rejected = windows.length - plausible.length;
    if (plausible.length === 0) return { inserted: 0, duplicates: 0, rejected, overlaps: 0, seqResets: 0 };
    const refusal = this.outbox?.refusal() ?? null;
    if (refusal !== null) {
      this.count.add('submitsOverloaded');
      throw new BacklogFullError(refusal);
    }
    const outcome = await this.committer.add({ windows: plausible, options }).catch((error: unknown) => {
      if (error instanceof OverloadError) this.count.add('submitsOverloaded');
      throw error;
    });
    if (!outcome.ok) {
      // refuse-batch: nothing was stored; the refusals are counted all the same (the caller answers them).
      if (outcome.error instanceof WindowRefusedError) this.countRefusals(plausible, outcome.error.refused);
      throw outcome.error;
    }
    const result: AppendResult = outcome.result;
    this.countRefusals(plausible, result.refused);
    this.count.add('windowsInserted', result.inserted);
    this.count.add('windowsDuplicate', result.duplicates);
    this.count.add('windowsSeqReset', result.seqResets);
    const lastByDevice = new Map<string, EnergyWindow>();
    for (const window of plausible) lastByDevice.set(window.deviceId, window);
    for (const [deviceId, inserted] of Object.entries(result.insertedByDevice)) {
      const last = lastByDevice.get(deviceId);
      if (inserted > 0 && last !== undefined) this.bus.publish({ type: 'windows', deviceId, inserted, last });
    }
    return { inserted: result.inserted, duplicates: result.duplicates, rejected, overlaps: result.overlaps, seqResets: result.seqResets };
  }

  private countRefusals(windows: readonly EnergyWindow[], refused: readonly RefusedWindow[]): void {
    for (const refusal of refused) {
      const source = windows[refusal.index]?.source ?? '?';
      this.countRejection(refusal.reason, `${source} ${refusal.deviceId}#${refusal.seq}: ${refusal.detail}`);
    }
  }

  private countRejection(reason: IngestRejectReason, detail: string): void {
    this.count.add('windowsRejected');
    this.rejections.count(reason);
    this.lastRejection = detail;
  }

  publishPower(deviceId: string, tMs: number, powerW: number): void {
    this.bus.publish({ type: 'power', deviceId, tMs, powerW });
  }
}
