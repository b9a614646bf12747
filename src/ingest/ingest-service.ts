import { ValidationError, WindowRefusedError } from '../domain/errors.js';
import type { AppendOptions, Device, DeviceSpec, EnergyWindow, RefusedWindow, WindowRefusalReason } from '../domain/types.js';
import { WINDOW_REJECT_REASONS, windowRejection, type WindowRejection, type WindowRejectReason } from '../domain/window-plausibility.js';
import type { LiveBus } from '../live/live-bus.js';
import { Counters, counterFamily, ReasonCounts, total } from '../obs/counters.js';
import type { AppendGroupOutcome, AppendRequest, Store } from '../store/store.js';
import { MicroBatcher, OverloadError, type MicroBatcherOptions } from './micro-batcher.js';
import type { DeviceHello, SubmitCallback, SubmitResult, WindowSink } from './window-sink.js';

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

/**
 * Group commits pending at once: the next group's transaction may run while the previous commit waits for its
 * fdatasync (the SQLite store commits within `appendWindowGroups` and then waits for the WAL's sync on the thread
 * pool: store/sqlite/wal-sync.ts), so the event loop reads and commits windows during the fsync instead of idling.
 * Two: one commit in its sync and the next one waiting to join the following sync; the windows arriving meanwhile
 * gather into the group after them. Each commit still resolves only once it is durable, and in order
 * (micro-batcher.ts), so a PUBACK still follows its own window's durable commit. This relies on the store committing
 * in call order, as SqliteStore and SharedStore (through it) do.
 */
export const INGEST_COMMITS_IN_SYNC = 2;

export const INGEST_GROUP_COMMIT: Readonly<Required<Omit<MicroBatcherOptions, 'sizeOf'>>> = Object.freeze({
  lingerMs: INGEST_COMMIT_LINGER_MS,
  maxBatchItems: INGEST_COMMIT_MAX_WINDOWS,
  maxPendingItems: INGEST_COMMIT_MAX_PENDING_WINDOWS,
  maxConcurrentFlushes: INGEST_COMMITS_IN_SYNC,
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
        this.committed(requests, outcomes);
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
  submitWindows(windows: readonly EnergyWindow[], options: AppendOptions = {}): Promise<SubmitResult> {
    return new Promise<SubmitResult>((resolve, reject) => {
      this.submitWindowsWith(windows, options, (error, result) => {
        if (error === null) resolve(result as SubmitResult);
        else reject(error);
      });
    });
  }

  /**
   * submitWindows without a promise per submission (the embedded broker's path: thousands of single-window
   * submissions a second). `done` is called exactly once: at once when nothing is to be stored (every window refused
   * by the rules, a refuse-batch refusal, overload), otherwise after the commit that holds the windows.
   */
  submitWindowsWith(windows: readonly EnergyWindow[], options: AppendOptions, done: SubmitCallback): void {
    const nowMs = this.clock();
    // Copied only once a window is refused: the common submission (all plausible) is passed on as it came.
    let plausible: EnergyWindow[] | null = null;
    let firstRejection: (WindowRejection & { index: number }) | null = null;
    for (let index = 0; index < windows.length; index += 1) {
      const window = windows[index] as EnergyWindow;
      const rejection = windowRejection(window, nowMs);
      if (rejection === null) {
        plausible?.push(window);
        continue;
      }
      plausible ??= windows.slice(0, index);
      firstRejection ??= { ...rejection, index };
      this.countRejection(rejection.reason, `${window.source} ${window.deviceId}#${window.seq}: ${rejection.detail}`);
    }
    if (firstRejection !== null && options.onRefusal === 'refuse-batch') {
      const { index, detail, reason } = firstRejection;
      done(new ValidationError(`windows.${index}: ${detail}`, [`reason: ${reason}`]));
      return;
    }
    const accepted: readonly EnergyWindow[] = plausible ?? windows;
    const rejected = windows.length - accepted.length;
    if (accepted.length === 0) {
      done(null, { inserted: 0, duplicates: 0, rejected, overlaps: 0, seqResets: 0 });
      return;
    }
    const refusal = this.outbox?.refusal() ?? null;
    if (refusal !== null) {
      this.count.add('submitsOverloaded');
      done(new BacklogFullError(refusal));
      return;
    }
    try {
      this.committer.addWith({ windows: accepted, options }, (error, outcome) => {
        // The commit's accounting (counters, refusals, live events) was done once for the whole group: committed().
        if (error !== null) done(error);
        else if (!(outcome as AppendGroupOutcome).ok) done((outcome as Extract<AppendGroupOutcome, { ok: false }>).error);
        else {
          const result = (outcome as Extract<AppendGroupOutcome, { ok: true }>).result;
          done(null, { inserted: result.inserted, duplicates: result.duplicates, rejected, overlaps: result.overlaps, seqResets: result.seqResets });
        }
      });
    } catch (error) {
      if (error instanceof OverloadError) this.count.add('submitsOverloaded');
      done(error);
    }
  }

  /**
   * Once per group commit: the counters, the refusals of every submission, the outbox, and one live event per device
   * with windows stored in it (its count over the group and its last window), not one per submission.
   */
  private committed(requests: readonly AppendRequest[], outcomes: readonly AppendGroupOutcome[]): void {
    let inserted = 0;
    let duplicates = 0;
    let seqResets = 0;
    const byDevice = new Map<string, { inserted: number; last: EnergyWindow }>();
    for (let index = 0; index < requests.length; index += 1) {
      const request = requests[index] as AppendRequest;
      const outcome = outcomes[index];
      if (outcome === undefined) continue;
      if (!outcome.ok) {
        // refuse-batch: nothing was stored; the refusals are counted all the same (the caller answers them).
        if (outcome.error instanceof WindowRefusedError) this.countRefusals(request.windows, outcome.error.refused);
        continue;
      }
      const result = outcome.result;
      if (result.refused.length > 0) this.countRefusals(request.windows, result.refused);
      inserted += result.inserted;
      duplicates += result.duplicates;
      seqResets += result.seqResets;
      if (result.inserted === 0) continue;
      for (const window of request.windows) {
        if ((result.insertedByDevice[window.deviceId] ?? 0) === 0) continue;
        const device = byDevice.get(window.deviceId);
        if (device === undefined) byDevice.set(window.deviceId, { inserted: 0, last: window });
        else device.last = window;
      }
      for (const deviceId in result.insertedByDevice) {
        const device = byDevice.get(deviceId);
        if (device !== undefined) device.inserted += result.insertedByDevice[deviceId] as number;
      }
    }
    this.count.add('windowsInserted', inserted);
    this.count.add('windowsDuplicate', duplicates);
    this.count.add('windowsSeqReset', seqResets);
    if (inserted > 0) this.outbox?.notifyCommitted(inserted);
    for (const [deviceId, device] of byDevice) this.bus.publish({ type: 'windows', deviceId, inserted: device.inserted, last: device.last });
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
