/** Writes a LineGenerator's lines to a serial port (or pty), paced in real time or as fast as the link takes them. */
import { SerialPort } from 'serialport';
import { LineGenerator } from './line-generator.js';
import type { GeneratorCounters } from './line-generator.js';
import type { PowerProfile } from './power-profile.js';
import { mulberry32 } from '../../util/random.js';

/** Samples per write: 100 ms of data at 1 kHz, ~3 KB, below a pty's 4 KB buffer so writes rarely block. */
export const SAMPLES_PER_WRITE = 100;
/**
 * While a write is stalled (nobody drains the link) the device loses the samples whose time has come, checked every
 * 10 ms: once a reader drains the link again, at most ~10 ms more are lost (a whole 100 ms write used to be).
 */
export const STALL_POLL_MS = 10;
/** Stall spans kept for the report; more are counted in `stallCount` only. */
export const MAX_RECORDED_STALLS = 1_000;

/**
 * Samples a stalled link cost, contiguous: `atUs` is device time since the simulator started, µs; `startMs` and
 * `endMs` the wall-clock times of the first and last sample it lost (real-time mode: device time follows wall time).
 */
export interface StallSpan {
  atUs: number;
  samples: number;
  startMs: number;
  endMs: number;
}

export interface SimulatorRun {
  path: string;
  baudRate: number;
  /** Device-time length of the run, µs; undefined = until the signal aborts. */
  durationUs?: number;
  /** true: one sample period of wall time per sample; false: as fast as the port drains. */
  isRealTime: boolean;
  /**
   * Fraction of writes (SAMPLES_PER_WRITE samples each) never written, like lines a slow host lost: the device keeps
   * its clock, the receiver sees a gap. Deterministic from the profile's seed. Default 0.
   */
  dropRate?: number;
  signal?: AbortSignal;
  /** Called after each write with the running counters (progress display). */
  onProgress?: (counters: Readonly<GeneratorCounters>) => void;
}

/** A simulated device on an open port; `run` may be called again after a replug to continue the same trace. */
export class SerialSimulator {
  readonly generator: LineGenerator;
  /** Where a stalled link cost samples (real-time mode), first MAX_RECORDED_STALLS. */
  readonly stalls: StallSpan[] = [];
  stallCount = 0;
  /** Writes left out on purpose (dropRate) and their samples. */
  droppedWrites = 0;
  droppedSamples = 0;
  private readonly dropRandom: () => number;
  /** Device time where the last stall span ends, µs; a stall starting there extends it. */
  private lastStallEndUs = -1;

  constructor(readonly profile: PowerProfile) {
    this.generator = new LineGenerator(profile);
    this.dropRandom = mulberry32(profile.seed ^ DROP_SEED_SALT);
  }

  /** The next `count` samples are lost to a stalled link; recorded as (part of) a stall span. */
  private skipStalled(count: number): void {
    const atUs = this.generator.elapsedUs;
    const last = this.stalls.at(-1);
    const nowMs = Date.now();
    if (last !== undefined && this.lastStallEndUs === atUs) {
      last.samples += count;
      last.endMs = nowMs;
    } else {
      this.stallCount += 1;
      // The samples skipped now came due since the last check: the first of them at about nowMs − count periods.
      const startMs = nowMs - (count * this.profile.samplePeriodUs) / 1000;
      if (this.stalls.length < MAX_RECORDED_STALLS) this.stalls.push({ atUs, samples: count, startMs, endMs: nowMs });
    }
    this.generator.skip(count);
    this.lastStallEndUs = this.generator.elapsedUs;
  }

  async run(options: SimulatorRun): Promise<GeneratorCounters> {
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate, autoOpen: false, hupcl: false });
    let inFlight: Promise<void> | null = null;
    let failure: Error | null = null;
    // Without a listener a stream 'error' (e.g. EBADF when the pty vanishes, or from destroy()) would crash the process.
    // A failure while running ends the run; one after the stop (the link torn down under the last write) is moot.
    port.on('error', (error: Error) => {
      if (!options.signal?.aborted) failure ??= error;
    });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    this.generator.breakContinuity(); // a (re)connected device starts with hello; nothing bridges the gap before
    const startedMs = Date.now();
    const startUs = this.generator.elapsedUs;
    const aborted = abortion(options.signal);
    try {
      const periodUs = this.profile.samplePeriodUs;
      const dropRate = options.dropRate ?? 0;
      while (!options.signal?.aborted && failure === null) {
        const doneUs = this.generator.elapsedUs - startUs;
        if (options.durationUs !== undefined && doneUs >= options.durationUs) break;
        if (options.isRealTime && inFlight !== null) {
          // Nobody is draining the link: like a UART with no listener, the device keeps its clock and the samples whose
          // time has come are lost.
          const dueUs = Math.min((Date.now() - startedMs) * 1000, options.durationUs ?? Number.POSITIVE_INFINITY);
          const due = Math.floor((dueUs - doneUs) / periodUs);
          if (due > 0) this.skipStalled(due);
          options.onProgress?.(this.generator.counters);
          await Promise.race([inFlight, delay(STALL_POLL_MS, options.signal)]);
          continue;
        }
        const remaining = options.durationUs === undefined ? SAMPLES_PER_WRITE : Math.ceil((options.durationUs - doneUs) / periodUs);
        const count = Math.min(SAMPLES_PER_WRITE, remaining);
        if (dropRate > 0 && this.dropRandom() < dropRate) {
          this.generator.skip(count);
          this.droppedWrites += 1;
          this.droppedSamples += count;
        } else {
          const lines = this.generator.next(count);
          const write = writeAndDrain(port, `${lines.join('\r\n')}\r\n`).then(
            () => {
              if (inFlight === write) inFlight = null;
            },
            (error: unknown) => {
              if (inFlight === write) inFlight = null;
              if (!options.signal?.aborted) failure ??= error instanceof Error ? error : new Error(String(error));
            },
          );
          inFlight = write;
          if (!options.isRealTime) await Promise.race([write, aborted]);
        }
        options.onProgress?.(this.generator.counters);
        if (options.isRealTime) {
          const aheadMs = (this.generator.elapsedUs - startUs) / 1000 - (Date.now() - startedMs);
          if (aheadMs > 0) await delay(aheadMs, options.signal);
        }
      }
      if (failure !== null) throw failure;
      if (inFlight !== null) await Promise.race([inFlight, delay(FINAL_DRAIN_TIMEOUT_MS, options.signal)]);
    } finally {
      // A write still blocked on a stalled link would hold close() forever: destroy the port instead.
      if (inFlight !== null || failure !== null) port.destroy();
      else await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    }
    return this.generator.counters;
  }
}

/** Keeps the drop sequence apart from the profile's noise sequence (same seed). */
const DROP_SEED_SALT = 0x5eed_d409;

/** How long the last write may take to drain before the port is torn down anyway. */
export const FINAL_DRAIN_TIMEOUT_MS = 2_000;

function abortion(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise<void>(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function writeAndDrain(port: SerialPort, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(text, 'latin1', (error) => {
      if (error) reject(error);
    });
    port.drain((error) => (error ? reject(error) : resolve()));
  });
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(); // 'abort' never fires again on an aborted signal
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
