/**
 * Drains the local outbox (the SQLite store: every committed window numbered in commit order) into a WindowStore
 * (InfluxDB), so that no acknowledgement waits for the network: MQTT PUBACKs and HTTP 201s follow the local commit,
 * and this writer copies what was committed, in order, in batches, with the one retry schedule (util/backoff.ts).
 *
 * - Batches: what this process commits is handed over at the commit (WindowOutbox.onCommitted), so the writer does not
 *   read back what was just written to SQLite; after a restart, a backlog or another process's commits it reads the
 *   outbox. A fresh trickle of commits waits up to OUTBOX_LINGER_MS to fill a batch (one request per commit would
 *   cost InfluxDB and this process far more per window than batches of thousands).
 * - The cursor (the last commit number written) is persisted in the store at most every OUTBOX_CURSOR_PERSIST_MS and
 *   whenever the writer goes idle or stops: a restart resumes there. A crash after a write and before the cursor
 *   reached it writes those batches again, which the target keeps as the same points (a window written twice is one
 *   point): at-least-once delivery, exactly-once content.
 * - A failed batch is retried, the same batch, after a capped exponential delay; nothing is skipped, so the backlog
 *   (committed − written) grows while the target is down. A batch the target refuses for its points (refusals.ts:
 *   InfluxDB's 400, e.g. a window older than the retention policy) is split in halves until the refused windows are
 *   alone; those become dead letters (kept in the outbox with the reason, counted by reason in health and /metrics,
 *   listed in health details) and the writer goes on. The halves written meanwhile are the same points again. Past `backlogCapWindows` the service stops acknowledging
 *   (`refusal()`, read by ingest before every commit): the broker keeps the messages, HTTP clients get 503.
 * - Backlog, lag (age of the oldest window not yet written) and write errors by class are its health counters.
 */
import { StoreRejectedError, StoreUnavailableError } from '../../domain/errors.js';
import { counterFamily, Counters, gauge, ReasonCounts, total } from '../../obs/counters.js';
import type { HealthSource, SourceStatus } from '../../obs/health-registry.js';
import type { Logger } from '../../obs/logger.js';
import { Backoff, type BackoffPolicy } from '../../util/backoff.js';
import type { DeadLetter, OutboxEntry, WindowOutbox } from '../window-outbox.js';
import { OUTBOX_REFUSAL_REASONS, pointRefusal, type OutboxRefusalReason, type PointRefusal } from './refusals.js';
import type { WindowStore } from '../window-store.js';

/**
 * Windows per write at most: InfluxDB's guidance is batches of 5 000–10 000 points (docs "Optimize writes"); 5 000
 * of our points are ≈ 1.5 MB of line protocol, one request of ≈ 50 ms on this machine.
 */
export const OUTBOX_BATCH_WINDOWS = 5_000;
/**
 * Committed windows not yet written, at most, before ingest stops acknowledging. A stored window is ≈ 200 bytes of
 * SQLite (row + indexes), so 2 000 000 hold ≈ 400 MB of disk: 2 min of the goal rate of 15 000 windows/s, 55 h of
 * 1 000 devices at one window per 10 s. Configurable (--outbox-backlog-cap).
 */
export const DEFAULT_OUTBOX_BACKLOG_CAP = 2_000_000;
/**
 * Retry schedule of a failed batch: from 250 ms, doubling, at most 10 s between attempts (InfluxDB restarts in
 * seconds; 10 s keeps the extra delay after it is back small). `equal` jitter: several instances retrying one
 * database spread out, and a failure that comes at once (connection refused) never spins.
 */
export const OUTBOX_RETRY_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ initialMs: 250, maxMs: 10_000, factor: 2, jitter: 'equal' });
/**
 * How long the writer waits, with nothing to write, before it looks at the outbox again (ms) when no commit woke it:
 * commits in this process wake it at once (notifyCommitted); this catches any other writer of the same file.
 */
export const OUTBOX_IDLE_POLL_MS = 1_000;
/**
 * How long a batch smaller than OUTBOX_BATCH_WINDOWS waits for more commits (ms) before it is written: under a steady
 * fleet the writer sends a few large requests instead of one per group commit; a window reaches InfluxDB at most
 * this much later (small next to the fleet sync's 2 s).
 */
export const OUTBOX_LINGER_MS = 100;
/**
 * How often the cursor is persisted at most while batches flow (ms): each persist is one SQLite commit (an fsync) on the
 * event loop. A crash re-sends at most this long's batches, which the target keeps as the same points.
 */
export const OUTBOX_CURSOR_PERSIST_MS = 1_000;
/**
 * Committed entries handed over at the commit and kept until written, at most (windows): 4 batches. Beyond, the handed
 * entries are dropped and the writer reads them from the outbox (the backlog lives on disk, not in memory).
 */
export const OUTBOX_TAIL_MAX_WINDOWS = 4 * OUTBOX_BATCH_WINDOWS;
/** Dead letters listed in health details (the most recent): enough to see what is refused; the outbox holds them all. */
export const OUTBOX_RECENT_DEAD_LETTERS = 10;
/** How long stop() keeps writing what is left when the target answers (ms); the rest waits in the outbox for the next start. */
export const OUTBOX_STOP_DRAIN_MS = 5_000;

export const OUTBOX_FAMILY = counterFamily(
  'outbox',
  {
    windowsWritten: total('Windows written to the target store (a batch written again after a crash counts again).'),
    batchesWritten: total('Batches the target store acknowledged.'),
    backlogWindows: gauge('Windows committed locally and not yet written to the target store.'),
    lagUs: gauge('Age of the oldest window not yet written (its local commit), 0 when none waits.', 'microseconds'),
    writeErrorsUnavailable: total('Batch writes that failed because the target was unreachable, timed out or answered 5xx (retried).'),
    writeErrorsRejected: total(
      'Batch writes the target refused for the request or the setup (4xx other than 400: credentials, database); retried, an operator must act.',
    ),
    writeErrorsRefusedPoints: total('Batch writes the target refused for some of their points (400); split until the refused windows are alone.'),
    windowsDeadLettered: total('Windows the target refused for good, kept as dead letters in the outbox (by reason: tinyml_outbox_rejected_total).'),
    writeErrorsOther: total('Batch writes that failed otherwise (a defect); retried.'),
    submitsRefused: total('Ingest submissions refused, nothing stored, because the backlog held its cap.'),
  },
  OUTBOX_REFUSAL_REASONS,
);

export type OutboxWriteErrorClass = 'unavailable' | 'rejected' | 'other';

export interface OutboxWriterOptions {
  outbox: WindowOutbox;
  target: WindowStore;
  /** The cursor's key in the outbox, naming the target (e.g. `influx:http://db:8086/tinyml_footprint`). */
  targetName: string;
  backlogCapWindows?: number;
  batchWindows?: number;
  backoff?: Readonly<BackoffPolicy>;
  idlePollMs?: number;
  lingerMs?: number;
  cursorPersistMs?: number;
  stopDrainMs?: number;
  clock?: () => number;
  random?: () => number;
  log?: Logger;
}

/** The split of one batch (OutboxWriter.split), by commit number. */
interface SplitProgress {
  batch: readonly OutboxEntry[];
  written: Set<number>;
  refused: Map<number, PointRefusal>;
}

export class OutboxWriter implements HealthSource {
  readonly family = OUTBOX_FAMILY;
  readonly backlogCapWindows: number;
  private readonly count = new Counters(OUTBOX_FAMILY.counters);
  private readonly refusals = new ReasonCounts<OutboxRefusalReason>(OUTBOX_REFUSAL_REASONS);
  /** Dead letters in the outbox for this target (read at start, then counted). */
  private deadLetters = 0;
  /**
   * What the splitting of the batch in hand has settled so far (windows written, windows refused): a transient failure
   * in the middle of a split retries only what is left of the same batch, not the whole split again.
   */
  private split: SplitProgress | null = null;
  private recentDeadLetters: (DeadLetter & { deviceId: string; seq: number; startMs: number })[] = [];
  private readonly backoff: Backoff;
  private readonly batchWindows: number;
  private readonly clock: () => number;
  /** The last commit number the target acknowledged (in memory; persisted up to `persistedCursor`). */
  private cursor = 0;
  private persistedCursor = 0;
  private persistedAtMs = Number.NEGATIVE_INFINITY;
  private head = 0;
  /** Entries handed over at their commit, contiguous, following `cursor` (or the batch in flight); may be empty. */
  private tail: OutboxEntry[] = [];
  /** The last commit number taken into a batch (≥ cursor while a batch is in flight). */
  private taken = 0;
  private unsubscribe: (() => void) | null = null;
  /** Commit time (received_ms) of the oldest window not written, while one is known to wait. */
  private oldestPendingMs: number | null = null;
  private state: 'stopped' | 'writing' | 'idle' | 'retrying' = 'stopped';
  private lingering = false;
  private lastError: string | null = null;
  private stopping = false;
  private drainDeadline = Number.POSITIVE_INFINITY;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: OutboxWriterOptions) {
    this.backlogCapWindows = options.backlogCapWindows ?? DEFAULT_OUTBOX_BACKLOG_CAP;
    if (!Number.isSafeInteger(this.backlogCapWindows) || this.backlogCapWindows < 1) throw new RangeError('backlogCapWindows must be a positive integer');
    this.batchWindows = options.batchWindows ?? OUTBOX_BATCH_WINDOWS;
    this.backoff = new Backoff(options.backoff ?? OUTBOX_RETRY_BACKOFF, options.random);
    this.clock = options.clock ?? Date.now;
  }

  /** Windows committed and not yet written. */
  get backlog(): number {
    return Math.max(0, this.head - this.cursor);
  }

  /** The last commit number written to the target. */
  get writtenThrough(): number {
    return this.cursor;
  }

  /** The last commit number the persisted cursor holds (what a restart resumes after). */
  get persistedThrough(): number {
    return this.persistedCursor;
  }

  /** Read the persisted cursor and start draining. */
  async start(): Promise<void> {
    if (this.loop !== null) return;
    this.cursor = await this.options.outbox.outboxCursor(this.options.targetName);
    this.persistedCursor = this.cursor;
    this.taken = this.cursor;
    const dead = await this.options.outbox.listDeadLetters(this.options.targetName, OUTBOX_RECENT_DEAD_LETTERS);
    this.deadLetters = dead.total;
    this.recentDeadLetters = dead.letters.map(({ window, ...letter }) => ({ ...letter, deviceId: window.deviceId, seq: window.seq, startMs: window.startMs }));
    this.head = Math.max(this.cursor, await this.options.outbox.outboxHead());
    this.unsubscribe = this.options.outbox.onCommitted?.((entries) => this.committed(entries)) ?? null;
    this.state = 'idle';
    this.loop = this.run().catch((error: unknown) => {
      // Only the outbox itself failing (the local store closed under us) ends the loop.
      this.state = 'stopped';
      this.lastError = `outbox writer stopped: ${error instanceof Error ? error.message : String(error)}`;
      this.options.log?.error('outbox writer stopped', { error: this.lastError });
    });
  }

  /**
   * Windows were committed locally: count them into the backlog and wake the writer. With an outbox that hands its
   * commits over (onCommitted) they are counted there, and this only wakes the writer.
   */
  notifyCommitted(windows: number): void {
    if (windows <= 0) return;
    if (this.unsubscribe === null) {
      if (this.head === this.cursor) this.oldestPendingMs ??= this.clock();
      this.head += windows;
    }
    this.wakeIfWaiting();
  }

  /** What one local transaction committed (onCommitted): kept for the next batch when it follows what is known. */
  private committed(entries: readonly OutboxEntry[]): void {
    const first = entries[0];
    const last = entries.at(-1);
    if (first === undefined || last === undefined) return;
    if (this.head === this.cursor) this.oldestPendingMs ??= first.receivedMs;
    // Kept when nothing lies between them and what the writer has (it is not behind, no other process committed).
    const follows = first.commitSeq === this.head + 1 && first.commitSeq === (this.tail.at(-1)?.commitSeq ?? this.taken) + 1;
    if (follows && this.tail.length + entries.length <= OUTBOX_TAIL_MAX_WINDOWS) {
      this.tail.push(...entries);
    } else {
      this.tail = []; // a gap (another process committed, or the writer is behind): the outbox has them all
    }
    this.head = Math.max(this.head, last.commitSeq);
    this.wakeIfWaiting();
  }

  /** An idle writer is woken, and a lingering one once a batch is full; one waiting out a retry delay keeps it. */
  private wakeIfWaiting(): void {
    if (this.state === 'idle' || (this.lingering && this.backlog >= this.batchWindows)) this.wake?.();
  }

  /** Why ingest must not acknowledge more now (the backlog holds its cap), or null. Counted as a refused submission. */
  refusal(): string | null {
    if (this.backlog < this.backlogCapWindows) return null;
    this.count.add('submitsRefused');
    return `${this.backlog} windows wait to be written to ${this.options.target.kind} (cap ${this.backlogCapWindows})`;
  }

  /** Write what is left for up to stopDrainMs while the target answers, then stop; the rest stays in the outbox. */
  async stop(): Promise<void> {
    if (this.loop === null) return;
    this.stopping = true;
    this.drainDeadline = this.clock() + (this.options.stopDrainMs ?? OUTBOX_STOP_DRAIN_MS);
    this.wake?.();
    await this.loop;
    this.loop = null;
    this.state = 'stopped';
  }

  status(): SourceStatus {
    this.count.set('backlogWindows', this.backlog);
    this.count.set('lagUs', this.backlog === 0 || this.oldestPendingMs === null ? 0 : Math.max(0, this.clock() - this.oldestPendingMs) * 1000);
    return {
      name: this.options.targetName,
      kind: 'store',
      state: this.state,
      counters: this.count.snapshot(),
      rejected: this.refusals.snapshot(),
      lastError: this.lastError,
      details: {
        deadLetters: this.deadLetters,
        recentDeadLetters: this.recentDeadLetters,
        cursor: this.cursor,
        persistedCursor: this.persistedCursor,
        head: this.head,
        backlogCapWindows: this.backlogCapWindows,
        retryAttempts: this.backoff.attempts,
      },
    };
  }

  private async run(): Promise<void> {
    let batch: OutboxEntry[] | null = null;
    try {
      for (;;) {
        if (this.stopping && (this.clock() >= this.drainDeadline || this.state === 'retrying')) return;
        if (batch === null) {
          if (await this.linger()) continue;
          batch = await this.nextBatch();
          const first = batch[0];
          if (first === undefined) {
            batch = null;
            this.head = Math.max(this.head, await this.options.outbox.outboxHead());
            if (this.head > this.cursor) continue; // committed meanwhile (by another process)
            this.oldestPendingMs = null;
            await this.persistCursor();
            this.state = 'idle';
            if (this.stopping) return;
            await this.sleep(this.options.idlePollMs ?? OUTBOX_IDLE_POLL_MS);
            continue;
          }
          this.oldestPendingMs = first.receivedMs;
        }
        this.state = this.state === 'retrying' ? 'retrying' : 'writing';
        try {
          await this.write(batch);
        } catch (error) {
          this.countFailure(error, batch.length);
          this.state = 'retrying';
          if (this.stopping) return;
          await this.sleep(this.backoff.nextDelayMs());
          continue;
        }
        const last = batch.at(-1) as OutboxEntry;
        this.cursor = last.commitSeq;
        this.head = Math.max(this.head, this.cursor);
        this.count.add('windowsWritten', batch.length);
        this.count.add('batchesWritten');
        if (this.state === 'retrying') this.options.log?.info('outbox writes succeed again', { target: this.options.targetName, backlog: this.backlog });
        this.backoff.reset();
        this.state = 'writing';
        batch = null;
        if (this.clock() - this.persistedAtMs >= (this.options.cursorPersistMs ?? OUTBOX_CURSOR_PERSIST_MS)) await this.persistCursor();
      }
    } finally {
      this.unsubscribe?.();
      this.unsubscribe = null;
      if (this.state !== 'stopped') await this.persistCursor();
    }
  }

  /**
   * Write the batch; when the target refuses some of its points, isolate them (halving), keep them as dead letters and
   * resolve: the batch counts as written. Any other failure (also one in the middle of the halving) rejects: the same
   * batch is retried, without what its split already settled (written, or refused on their own).
   */
  private async write(batch: readonly OutboxEntry[]): Promise<void> {
    const progress = this.split?.batch === batch ? this.split : (this.split = { batch, written: new Set(), refused: new Map() });
    // A batch not split before (the common case) is written as it is: no per-window filtering or empty arrays.
    const fresh = progress.written.size === 0 && progress.refused.size === 0;
    const pending = fresh ? batch : batch.filter((entry) => !progress.written.has(entry.commitSeq) && !progress.refused.has(entry.commitSeq));
    if (pending.length > 0) await this.settle(pending, progress);
    if (progress.refused.size === 0) {
      this.split = null;
      return;
    }
    const refused = batch.flatMap((entry) => {
      const why = progress.refused.get(entry.commitSeq);
      return why === undefined ? [] : [{ entry, refusal: why }];
    });
    if (refused.length === 0) {
      this.split = null;
      return;
    }
    const refusedMs = this.clock();
    const letters = refused.map(({ entry, refusal: why }) => ({ commitSeq: entry.commitSeq, reason: why.reason, detail: why.detail, refusedMs }));
    const added = await this.options.outbox.addDeadLetters(this.options.targetName, letters);
    this.split = null;
    // A batch re-sent after a crash (the cursor is persisted at most every OUTBOX_CURSOR_PERSIST_MS) refuses windows
    // already recorded, and counted in the restart's total: only new records count.
    for (const { entry, refusal: why } of refused) if (added.has(entry.commitSeq)) this.refusals.count(why.reason);
    this.count.add('windowsDeadLettered', added.size);
    this.deadLetters += added.size;
    const recent = refused.map(({ entry, refusal: why }) => ({
      commitSeq: entry.commitSeq,
      reason: why.reason,
      detail: why.detail,
      refusedMs,
      deviceId: entry.window.deviceId,
      seq: entry.window.seq,
      startMs: entry.window.startMs,
    }));
    this.recentDeadLetters = [...recent.reverse(), ...this.recentDeadLetters].slice(0, OUTBOX_RECENT_DEAD_LETTERS);
    this.options.log?.warn('outbox: windows refused by the target kept as dead letters; writing goes on', {
      target: this.options.targetName,
      windows: refused.length,
      reasons: [...new Set(refused.map(({ refusal: why }) => why.reason))],
      first: refused[0]?.refusal.detail,
    });
  }

  /** Settle `entries` (refused as a whole request with `refusal`) into `progress`: written, or refused on their own. */
  private async isolate(entries: readonly OutboxEntry[], refusal: PointRefusal, progress: SplitProgress): Promise<void> {
    this.count.add('writeErrorsRefusedPoints');
    // Alone, or the target says it dropped every point of the request: all of them are refused.
    if (entries.length === 1 || (refusal.dropped !== null && refusal.dropped >= entries.length)) {
      for (const entry of entries) progress.refused.set(entry.commitSeq, refusal);
      return;
    }
    const middle = Math.ceil(entries.length / 2);
    for (const half of [entries.slice(0, middle), entries.slice(middle)]) await this.settle(half, progress);
  }

  /** Write `entries` in one request; a refusal of points splits them (isolate); any other failure rejects. */
  private async settle(entries: readonly OutboxEntry[], progress: SplitProgress): Promise<void> {
    try {
      await this.options.target.writeWindows(entries.map((entry) => entry.window));
      // The whole batch in one request: none of it is retried, so its windows need not be noted one by one.
      if (entries !== progress.batch) for (const entry of entries) progress.written.add(entry.commitSeq);
    } catch (error) {
      const refusal = pointRefusal(error);
      if (refusal === null) throw error;
      await this.isolate(entries, refusal, progress);
    }
  }

  /** Persist the cursor if it moved since the last time (one small SQLite commit). */
  private async persistCursor(): Promise<void> {
    if (this.cursor <= this.persistedCursor) return;
    await this.options.outbox.setOutboxCursor(this.options.targetName, this.cursor);
    this.persistedCursor = this.cursor;
    this.persistedAtMs = this.clock();
  }

  /**
   * Before a batch smaller than batchWindows: wait once, up to lingerMs after its oldest window's commit, for more
   * (woken early when a batch fills). True when it waited (the caller looks again).
   */
  private async linger(): Promise<boolean> {
    const lingerMs = this.options.lingerMs ?? OUTBOX_LINGER_MS;
    if (this.lingering || this.stopping || lingerMs <= 0 || this.backlog === 0 || this.backlog >= this.batchWindows || this.oldestPendingMs === null) {
      this.lingering = false;
      return false;
    }
    const waitMs = Math.min(lingerMs, this.oldestPendingMs + lingerMs - this.clock());
    if (waitMs <= 0) return false;
    this.lingering = true;
    this.state = 'writing'; // not idle: only a full batch cuts the wait short
    await this.sleep(waitMs);
    return true;
  }

  /** The next entries after the cursor, up to batchWindows: from what commits handed over when it follows, else from the outbox. */
  private async nextBatch(): Promise<OutboxEntry[]> {
    this.lingering = false;
    this.taken = this.cursor;
    const first = this.tail[0];
    if (first !== undefined && first.commitSeq === this.cursor + 1) {
      const batch = this.tail.splice(0, this.batchWindows);
      this.taken = (batch.at(-1) as OutboxEntry).commitSeq;
      return batch;
    }
    const batch = await this.options.outbox.readOutbox(this.cursor, this.batchWindows);
    this.taken = batch.at(-1)?.commitSeq ?? this.cursor;
    // Handed-over entries the read covered are dropped; the rest is kept only if it follows on.
    const keepFrom = this.tail.findIndex((entry) => entry.commitSeq > this.taken);
    this.tail = keepFrom < 0 || (this.tail[keepFrom] as OutboxEntry).commitSeq !== this.taken + 1 ? [] : this.tail.slice(keepFrom);
    return batch;
  }

  private countFailure(error: unknown, windows: number): void {
    const errorClass: OutboxWriteErrorClass =
      error instanceof StoreUnavailableError ? 'unavailable' : error instanceof StoreRejectedError ? 'rejected' : 'other';
    this.count.add(errorClass === 'unavailable' ? 'writeErrorsUnavailable' : errorClass === 'rejected' ? 'writeErrorsRejected' : 'writeErrorsOther');
    const message = error instanceof Error ? error.message : String(error);
    if (this.state !== 'retrying' || message !== this.lastError) {
      this.options.log?.warn('outbox write failed; retrying', { target: this.options.targetName, errorClass, windows, error: message });
    }
    this.lastError = message;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
