/**
 * One session (one open of the port) with a PPK2: the start sequence, the sample stream into energy windows, and the
 * graceful stop, behind the serial seam (src/ingest/serial/driver.ts).
 *
 * Start (instruments.md §3, IRNAS/Nordic order): AverageStop and a quiet spell to flush a stream an earlier host left
 * running → GetMetadata, read until END (MetadataCollector: another device fails at its first line) → SetPowerMode →
 * RegulatorSet (source mode) → DeviceRunningSet 1 → AverageStart; start() resolves once the decoder has locked onto
 * the stream. Stop: AverageStop (the DUT's power is left as it is: stopping the service must not power a DUT off).
 *
 * Samples: t = n · 10 µs (the kit sends no time), power = I × the mode's voltage. A counter gap is lost coverage: the
 * sample index jumps over the lost samples and the timeline's gap limit is one sample period, so nothing is integrated
 * across a loss (the window closes there and the next opens after it). A rising edge of the marker input cuts a
 * window (a marked run, `betweenMarkers` once the next edge closes it) and counts its inferences in the run it opens.
 */
import { basename } from 'node:path';
import { Counters, total, type CounterSpecs } from '../../../../obs/counters.js';
import { SampleTimeline } from '../../../integrate/sample-timeline.js';
import type { DriverContext, DriverSession, WindowEnd } from '../../driver.js';
import { Ppk2Calibration } from './calibration.js';
import { LogicMarkers } from './logic-markers.js';
import { MetadataCollector, Ppk2MetadataError, type Ppk2Metadata } from './metadata.js';
import {
  averageStartCommand,
  averageStopCommand,
  deviceRunningCommand,
  getMetadataCommand,
  PPK2_SAMPLE_PERIOD_US,
  regulatorSetCommand,
  setPowerModeCommand,
} from './protocol.js';
import { Ppk2SampleDecoder } from './sample-decoder.js';
import type { Ppk2Settings } from './settings.js';

/**
 * Flushing (before GetMetadata, and the words still on their way after AverageStop) ends after this long without a
 * byte: the kit streams every ~1 ms, and a loaded host may not read for tens of ms, so 100 ms of silence is a
 * stopped stream.
 */
export const PPK2_FLUSH_QUIET_MS = 100;
/** … or after this long in any case (a device that never goes quiet fails at the metadata instead); below DRIVER_STOP_TIMEOUT_MS. */
export const PPK2_FLUSH_MAX_MS = 1_000;
/** While the stream goes on after AverageStop, it is sent again this often (a write lost on a loaded host). */
export const PPK2_STOP_RESEND_MS = 300;
/** The kit answers GetMetadata within a few ms; 2 s covers a loaded host. */
export const PPK2_METADATA_TIMEOUT_MS = 2_000;
/** After AverageStart the first words come within ~1 ms; 2 s covers a loaded host. */
export const PPK2_STREAM_TIMEOUT_MS = 2_000;
/**
 * The timeline's gap limit: more than one sample period between two samples means samples were lost (1.5 periods, so
 * that two consecutive samples are never a gap and one lost sample always is).
 */
export const PPK2_MAX_GAP_US = PPK2_SAMPLE_PERIOD_US * 1.5;
const UINT32_RANGE = 4_294_967_296;

export const PPK2_SESSION_COUNTERS = {
  samples: total('Samples decoded.'),
  lostSamples: total('Samples the counter shows were lost (not integrated: lost coverage).'),
  gaps: total('Runs of lost samples.'),
  invalidWords: total('Words with a range field of 5–7 (counted as lost samples).'),
  resyncs: total('Realignments of the 4-byte framing after lost bytes.'),
  bytesSkipped: total('Stream bytes that belonged to no consistent run of words.', 'bytes'),
  bytesFlushed: total('Bytes discarded before GetMetadata (a stream an earlier host left running).', 'bytes'),
  markers: total('Rising edges of the marker input.'),
  inferences: total('Inferences counted from markers.'),
} as const satisfies CounterSpecs<string>;

export const PPK2_REJECT_REASONS = ['not_ppk2'] as const;

/** What the supervisor gives a session. */
export type Ppk2SessionContext = DriverContext<Ppk2Settings>;

type Phase = 'idle' | 'flushing' | 'metadata' | 'starting' | 'streaming' | 'stopped' | 'failed';

/** The device id of a port without `device=`: `ppk2-<port name>`, in the id alphabet. */
export function defaultPpk2DeviceId(path: string): string {
  return `ppk2-${basename(path).replace(/[^A-Za-z0-9_.-]/g, '_')}`.slice(0, 64);
}

export class Ppk2Session implements DriverSession {
  readonly deviceId: string;
  metadata: Ppk2Metadata | null = null;
  /** Shortest high time of the marker input seen this session (an inference burst), µs: for the sampling-rate check. */
  shortestBurstUs: number | null = null;
  private readonly counterSet = new Counters(PPK2_SESSION_COUNTERS);
  private readonly rejectedCounts: Record<string, number> = {};
  private phase: Phase = 'idle';
  private readonly collector = new MetadataCollector();
  private decoder: Ppk2SampleDecoder | null = null;
  private readonly markers: LogicMarkers | null;
  private readonly timeline: SampleTimeline;
  /** Samples since AverageStart, lost ones included: t = index · 10 µs. */
  private sampleIndex = 0;
  private voltageV: number;
  private lastByteMs = 0;
  private windowEnd: WindowEnd | null = null;
  private waiter: { resolve(): void; reject(error: Error): void } | null = null;

  constructor(private readonly context: Ppk2SessionContext) {
    const { settings } = context;
    this.deviceId = context.fixedDeviceId ?? defaultPpk2DeviceId(context.path);
    this.voltageV = settings.voltageMv / 1000;
    this.markers = settings.logicChannel === null ? null : new LogicMarkers(settings.logicChannel);
    const floor = context.previousWindowEnd?.deviceId === this.deviceId ? context.previousWindowEnd.endMs : undefined;
    this.timeline = new SampleTimeline({
      instrument: 'ppk2',
      source: context.source,
      integrator: { windowUs: context.integrator.windowUs, maxGapUs: PPK2_MAX_GAP_US },
      deviceId: this.deviceId,
      power: (tMs, powerW) => context.power(this.deviceId, tMs, powerW),
      ...(floor === undefined ? {} : { floorMs: floor }),
    });
    this.windowEnd = context.previousWindowEnd;
  }

  get counters(): Record<string, number> {
    const snapshot: Record<string, number> = { ...this.counterSet.snapshot() };
    const stats = this.decoder?.stats;
    if (stats !== undefined) {
      snapshot['samples'] = stats.samples;
      snapshot['lostSamples'] = stats.lostSamples;
      snapshot['gaps'] = stats.gaps;
      snapshot['invalidWords'] = stats.invalidWords;
      snapshot['resyncs'] = stats.resyncs;
      snapshot['bytesSkipped'] = stats.bytesSkipped;
    }
    return snapshot;
  }

  get rejected(): Record<string, number> {
    return { ...this.rejectedCounts };
  }

  get lastWindowEnd(): WindowEnd | null {
    return this.windowEnd;
  }

  get streaming(): boolean {
    return this.phase === 'streaming';
  }

  data(chunk: Buffer): void {
    this.lastByteMs = this.context.nowMs();
    switch (this.phase) {
      case 'idle':
      case 'flushing':
        this.counterSet.add('bytesFlushed', chunk.length);
        return;
      case 'metadata':
        this.collectMetadata(chunk);
        return;
      case 'starting':
      case 'streaming':
        this.decode(chunk);
        return;
      case 'stopped':
      case 'failed':
        return;
    }
  }

  async start(): Promise<void> {
    const { settings } = this.context;
    this.phase = 'flushing';
    this.context.write(averageStopCommand());
    const flushStart = this.context.nowMs();
    this.lastByteMs = flushStart;
    while (this.context.nowMs() - this.lastByteMs < PPK2_FLUSH_QUIET_MS && this.context.nowMs() - flushStart < PPK2_FLUSH_MAX_MS) {
      await delay(PPK2_FLUSH_QUIET_MS / 3);
    }
    if (this.phase !== 'flushing') throw new Error('PPK2 session ended while flushing');

    this.phase = 'metadata';
    const metadataArrived = this.waitFor(
      PPK2_METADATA_TIMEOUT_MS,
      () =>
        `no reply to GetMetadata (0x19) in ${PPK2_METADATA_TIMEOUT_MS} ms (${this.collector.bytesSeen} bytes): is this a PPK2 (USB 1915:c00a)? ` +
        'expected `Key: value` lines ending in END',
    );
    this.context.write(getMetadataCommand());
    await metadataArrived;
    const metadata = this.metadata!;

    // Source mode: the regulator is the DUT's supply and the calibration's VDD; ampere mode: the kit's own VDD stays.
    const regulatorMv = settings.mode === 'source' ? settings.voltageMv : metadata.vddMv;
    this.decoder = new Ppk2SampleDecoder(Ppk2Calibration.fromMetadata(metadata, regulatorMv), { spikeFilter: settings.spikeFilter });
    this.context.device({
      deviceId: this.deviceId,
      board: `Nordic PPK2${metadata.hardware === null ? '' : ` (HW ${metadata.hardware})`}, ${settings.mode} mode`,
    });
    this.phase = 'starting';
    const streamArrived = this.waitFor(PPK2_STREAM_TIMEOUT_MS, () => `no sample stream in ${PPK2_STREAM_TIMEOUT_MS} ms after AverageStart (0x06)`);
    this.context.write(setPowerModeCommand(settings.mode));
    if (settings.mode === 'source') this.context.write(regulatorSetCommand(settings.voltageMv));
    this.context.write(deviceRunningCommand(true));
    this.context.write(averageStartCommand());
    await streamArrived;
  }

  /**
   * AverageStop, then the words already on their way are still decoded until the stream goes quiet (bounded). The kit
   * acknowledges nothing: while words keep coming, AverageStop is sent again every PPK2_STOP_RESEND_MS.
   */
  async stop(): Promise<void> {
    const wasStreaming = this.phase === 'streaming' || this.phase === 'starting';
    this.rejectWaiter(new Error('PPK2 session stopped'));
    if (!wasStreaming) {
      if (this.phase !== 'failed') this.phase = 'stopped';
      return;
    }
    const stopStart = this.context.nowMs();
    let sentMs = stopStart;
    this.context.write(averageStopCommand());
    this.lastByteMs = stopStart;
    while (this.context.nowMs() - this.lastByteMs < PPK2_FLUSH_QUIET_MS && this.context.nowMs() - stopStart < PPK2_FLUSH_MAX_MS) {
      await delay(PPK2_FLUSH_QUIET_MS / 3);
      if (this.context.nowMs() - sentMs >= PPK2_STOP_RESEND_MS && this.context.nowMs() - this.lastByteMs < PPK2_FLUSH_QUIET_MS) {
        sentMs = this.context.nowMs();
        this.context.write(averageStopCommand());
      }
    }
    this.phase = 'stopped';
  }

  end(): Promise<void> {
    if (this.phase !== 'failed') this.phase = 'stopped';
    this.rejectWaiter(new Error('PPK2 session ended'));
    this.timeline.reset();
    this.deliver();
    return Promise.resolve();
  }

  private collectMetadata(chunk: Buffer): void {
    let result: ReturnType<MetadataCollector['push']>;
    try {
      result = this.collector.push(chunk);
    } catch (error) {
      const message = error instanceof Ppk2MetadataError ? error.message : String(error);
      this.rejectedCounts['not_ppk2'] = (this.rejectedCounts['not_ppk2'] ?? 0) + 1;
      this.phase = 'failed';
      this.rejectWaiter(new Error(`PPK2 expected on ${this.context.path}: ${message}`));
      return;
    }
    if (result === null) return;
    this.metadata = result.metadata;
    // Bytes after END before AverageStart are not samples of this measurement.
    this.counterSet.add('bytesFlushed', result.rest.length);
    this.resolveWaiter();
  }

  private decode(chunk: Buffer): void {
    const decoder = this.decoder!;
    const batch = decoder.decode(chunk);
    if (this.phase === 'starting' && decoder.stats.samples > 0) {
      this.phase = 'streaming';
      this.resolveWaiter();
    }
    if (batch.count === 0 && batch.gapCount === 0) return;
    const endMs = this.context.nowMs();
    const periodMs = PPK2_SAMPLE_PERIOD_US / 1000;
    const toUw = this.voltageV * 1e6;
    const timeline = this.timeline;
    const markers = this.markers;
    const inferences = this.context.settings.inferencesPerMarker;
    let from = 0;
    for (let gap = 0; gap <= batch.gapCount; gap += 1) {
      const to = gap < batch.gapCount ? batch.gapAt[gap]! : batch.count;
      const edges = markers === null ? null : markers.scan(batch.logic.subarray(from, to), to - from);
      let rise = 0;
      for (let k = from; k < to; k += 1) {
        if (edges !== null && rise < edges.rises.length && edges.rises[rise]! + from === k) {
          timeline.marker(0, true);
          timeline.countInference(inferences);
          this.counterSet.add('markers');
          this.counterSet.add('inferences', inferences);
          rise += 1;
        }
        const tUs = (this.sampleIndex * PPK2_SAMPLE_PERIOD_US) % UINT32_RANGE;
        timeline.push(tUs, batch.currentA[k]! * toUw, endMs - (batch.count - 1 - k) * periodMs);
        this.sampleIndex += 1;
      }
      if (edges !== null) for (const high of edges.highSamples) if (high > 0) this.noteBurst(high * PPK2_SAMPLE_PERIOD_US);
      if (gap < batch.gapCount) {
        this.sampleIndex += batch.gapSamples[gap]!;
        markers?.gap();
      }
      from = to;
    }
    this.deliver();
  }

  private noteBurst(us: number): void {
    if (this.shortestBurstUs === null || us < this.shortestBurstUs) this.shortestBurstUs = us;
  }

  private deliver(): void {
    const windows = this.timeline.takeWindows();
    if (windows.length === 0) return;
    const drafts = windows.map((window) => window.draft);
    const last = drafts[drafts.length - 1]!;
    this.windowEnd = { deviceId: last.deviceId, endMs: last.startMs + last.durationS * 1000 };
    this.context.windows(drafts);
  }

  private waitFor(timeoutMs: number, message: () => string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        this.phase = 'failed';
        reject(new Error(`PPK2 expected on ${this.context.path}: ${message()}`));
      }, timeoutMs);
      this.waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  private resolveWaiter(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve();
  }

  private rejectWaiter(error: Error): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
