/** Turns a PowerProfile into protocol lines, deterministically. Pure: no clock, no I/O. */
import { formatEvent, formatHello, formatSample, formatWindow } from '../../protocol/line-format.js';
import { MAX_SAMPLE_UA } from '../../protocol/limits.js';
import { UINT32_RANGE } from '../../ingest/integrate/energy-integrator.js';
import { GAP_AFTER_SAMPLE_PERIODS } from '../../ingest/serial/line-session.js';
import { currentUaAt, isActiveSample } from './power-profile.js';
import type { PowerProfile } from './power-profile.js';
import { mulberry32 } from '../../util/random.js';

/** The device repeats hello every 1 s of device time (SPEC §4.1 asks for ≤ 60 s): a reader attaching mid-stream loses ≤ 1 s. */
export const HELLO_EVERY_US = 1_000_000;

export interface GeneratorCounters {
  samples: number;
  /** Samples whose line was corrupted (the receiver must reject them as bad_checksum). */
  corruptedLines: number;
  lines: number;
  inferences: number;
  /** Samples not sent because the link was stalled (real-time mode only). */
  skippedSamples: number;
  /**
   * Σ of trapezoids between consecutive samples actually sent intact, µJ, bridging what a receiver bridges (one lost
   * line; SPEC §4.2: at most GAP_AFTER_SAMPLE_PERIODS) and nothing else: what a perfect receiver integrates.
   */
  sentEnergyUj: number;
  /** Device time those trapezoids cover, µs: what a perfect receiver reports as covered. */
  sentCoveredUs: number;
  /** `W` lines sent (deviceWindowUs > 0), and Σ of their energy_uj / inferences: what a receiver stores from them. */
  deviceWindowsSent: number;
  sentWindowEnergyUj: number;
  sentWindowInferences: number;
  /** `W` windows that closed while the link was stalled: never sent. */
  deviceWindowsSkipped: number;
}

/** The device's own window integration (integers, like the example firmware). */
interface DeviceWindowState {
  seq: number;
  startUs: number;
  /** µW·µs. */
  energyPj: number;
  samples: number;
  minUw: number;
  maxUw: number;
  inferences: number;
  previous: { absUs: number; powerUw: number } | null;
}

export class LineGenerator {
  readonly counters: GeneratorCounters = {
    samples: 0,
    corruptedLines: 0,
    lines: 0,
    inferences: 0,
    skippedSamples: 0,
    sentEnergyUj: 0,
    sentCoveredUs: 0,
    deviceWindowsSent: 0,
    sentWindowEnergyUj: 0,
    sentWindowInferences: 0,
    deviceWindowsSkipped: 0,
  };
  private readonly deviceWindow: DeviceWindowState = { seq: 0, startUs: 0, energyPj: 0, samples: 0, minUw: Infinity, maxUw: 0, inferences: 0, previous: null };
  private index = 0;
  private readonly random: () => number;
  private lastHelloUs = Number.NEGATIVE_INFINITY;
  private previousIntact: { absUs: number; powerUw: number } | null = null;

  constructor(private readonly profile: PowerProfile) {
    this.random = mulberry32(profile.seed);
  }

  /** Device time of the next sample, µs since the generator started (not wrapped). */
  get elapsedUs(): number {
    return this.index * this.profile.samplePeriodUs;
  }

  /** Forget the previous sample so the next energy segment is not bridged (the link was down: a receiver can't either). */
  breakContinuity(): void {
    this.previousIntact = null;
    this.lastHelloUs = Number.NEGATIVE_INFINITY;
  }

  /** Advance device time by `count` samples without sending them (the link was stalled: a UART drops them). */
  skip(count: number): void {
    // The device still measures what the link loses: its own windows integrate it (noise-free; no line to corrupt).
    for (let n = 0; n < count; n += 1) {
      const k = this.index + n;
      const absUs = k * this.profile.samplePeriodUs;
      if (this.profile.inferenceEvents && k > 0 && !isActiveSample(this.profile, k) && isActiveSample(this.profile, k - 1)) this.deviceWindow.inferences += 1;
      if (this.integrateOnDevice(absUs, (this.profile.supplyMv * currentUaAt(this.profile, k)) / 1000) !== null) {
        this.counters.deviceWindowsSkipped += 1;
      }
    }
    this.index += count;
    this.counters.skippedSamples += count;
    this.breakContinuity();
  }

  /** Adds a measured sample to the device's own window; returns the W line when that closes it (deviceWindowUs > 0). */
  private integrateOnDevice(absUs: number, powerUw: number): string | null {
    const windowUs = this.profile.deviceWindowUs ?? 0;
    if (windowUs <= 0) return null;
    const w = this.deviceWindow;
    if (w.previous !== null) w.energyPj += ((w.previous.powerUw + powerUw) / 2) * (absUs - w.previous.absUs);
    w.previous = { absUs, powerUw };
    w.samples += 1;
    w.minUw = Math.min(w.minUw, powerUw);
    w.maxUw = Math.max(w.maxUw, powerUw);
    if (absUs - w.startUs < windowUs) return null;
    const fields = {
      seq: w.seq,
      durationMs: Math.round((absUs - w.startUs) / 1000),
      energyUj: Math.floor(w.energyPj / 1e6),
      samples: w.samples,
      minPowerUw: Math.round(w.minUw),
      maxPowerUw: Math.round(w.maxUw),
      inferences: w.inferences,
    };
    this.lastDeviceWindow = fields;
    w.seq += 1;
    w.startUs = absUs;
    w.energyPj = 0;
    w.samples = 0;
    w.minUw = Infinity;
    w.maxUw = 0;
    w.inferences = 0;
    return formatWindow(fields);
  }

  /** The fields of the last W the device closed (sent or not). */
  lastDeviceWindow: { energyUj: number; inferences: number } | null = null;

  /** The lines for the next `count` samples (hello and events included where due). */
  next(count: number): string[] {
    const lines: string[] = [];
    for (let n = 0; n < count; n += 1) this.emitOne(lines);
    this.counters.lines += lines.length;
    return lines;
  }

  private emitOne(lines: string[]): void {
    const { profile } = this;
    const absUs = this.index * profile.samplePeriodUs;
    const tUs = (profile.startUs + absUs) % UINT32_RANGE;
    if (absUs - this.lastHelloUs >= (profile.helloEveryUs ?? HELLO_EVERY_US)) {
      lines.push(
        formatHello({
          deviceId: profile.deviceId,
          board: 'simulator',
          firmware: 'sim-1.0',
          supplyMv: profile.supplyMv,
          samplePeriodUs: profile.samplePeriodUs,
        }),
      );
      this.lastHelloUs = absUs;
    }
    const active = isActiveSample(profile, this.index);
    const wasActive = this.index > 0 && isActiveSample(profile, this.index - 1);
    if (profile.inferenceEvents && active && !wasActive) lines.push(formatEvent(tUs, 'begin', this.counters.inferences));
    if (profile.inferenceEvents && !active && wasActive) {
      lines.push(formatEvent(tUs, 'end', this.counters.inferences));
      this.counters.inferences += 1;
      this.deviceWindow.inferences += 1;
    }
    const noise = profile.noiseUa > 0 ? Math.round((this.random() * 2 - 1) * profile.noiseUa) : 0;
    const ua = Math.min(MAX_SAMPLE_UA, Math.max(0, currentUaAt(profile, this.index) + noise));
    let line = formatSample(tUs, profile.supplyMv, ua);
    const corrupt = profile.checksumErrorRate > 0 && this.random() < profile.checksumErrorRate;
    if (corrupt) {
      // Flip the lowest bit of the last digit of the current: still printable, checksum now wrong.
      const at = line.lastIndexOf('*') - 1;
      line = line.slice(0, at) + String.fromCharCode(line.charCodeAt(at) ^ 1) + line.slice(at + 1);
      this.counters.corruptedLines += 1;
    } else {
      const powerUw = (profile.supplyMv * ua) / 1000;
      const stepUs = this.previousIntact === null ? null : absUs - this.previousIntact.absUs;
      if (this.previousIntact !== null && stepUs !== null && stepUs <= GAP_AFTER_SAMPLE_PERIODS * profile.samplePeriodUs) {
        this.counters.sentEnergyUj += (((this.previousIntact.powerUw + powerUw) / 2) * stepUs) / 1e6;
        this.counters.sentCoveredUs += stepUs;
      }
      this.previousIntact = { absUs, powerUw };
    }
    lines.push(line);
    const deviceWindowLine = this.integrateOnDevice(absUs, (profile.supplyMv * ua) / 1000);
    if (deviceWindowLine !== null) {
      // After the sample that closed it, as the example firmware prints them.
      lines.push(deviceWindowLine);
      this.counters.deviceWindowsSent += 1;
      this.counters.sentWindowEnergyUj += this.lastDeviceWindow!.energyUj;
      this.counters.sentWindowInferences += this.lastDeviceWindow!.inferences;
    }
    this.counters.samples += 1;
    this.index += 1;
  }
}
