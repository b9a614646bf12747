/**
 * Protocol state of one serial session (one open of a port): lines in → hello, energy windows and live power out.
 * No I/O: the clock is injected and outputs go to callbacks, so the supervisor, the CLI and the bench share it.
 */
import type { HelloMessage, SampleMessage, WindowMessage } from '../../protocol/messages.js';
import { parseLine } from '../../protocol/line-parser.js';
import { EnergyIntegrator, HALF_UINT32_RANGE, UINT32_RANGE } from '../integrate/energy-integrator.js';
import type { IntegratedWindow, IntegratorConfig } from '../integrate/energy-integrator.js';
import type { DeviceHello } from '../window-sink.js';
import type { WindowDraft } from './window-delivery.js';

/** Live power is published at most every 100 ms of device time (≤ 10 Hz), as the mean of the samples since the last. */
export const LIVE_POWER_INTERVAL_US = 100_000;
/**
 * When the hello announces its sample period, a step of more than 2.5 periods between samples is a gap (lost
 * coverage, not energy): one lost line (2 periods) is bridged, two or more are not. A burst of 1 kHz lines dropped by a
 * slow host would otherwise be bridged from the sleep samples on either side, and its energy would vanish unseen.
 */
export const GAP_AFTER_SAMPLE_PERIODS = 2.5;

export interface LineSessionOptions {
  /** `serial:<path>`: stored with every window. */
  source: string;
  integrator: IntegratorConfig;
  /** Device id configured for the port; used until (and unless) a hello names another. */
  fixedDeviceId: string | null;
  nowMs: () => number;
}

export interface LineSessionOutput {
  /** A device started talking on this session (first hello, or a hello naming another device). */
  device(hello: DeviceHello): void;
  windows(windows: readonly WindowDraft[]): void;
  power(deviceId: string, tMs: number, powerW: number): void;
}

export interface LineSessionCounters {
  lines: number;
  ignoredLines: number;
  messages: number;
  hellos: number;
  samples: number;
  events: number;
  deviceWindows: number;
  deviceWindowsLost: number;
  windows: number;
  clockResets: number;
  gaps: number;
  lostCoverageUs: number;
  /** Device time of gaps that passed before this session was reading (a backlog then the live stream), µs. */
  lostBeforeReadingUs: number;
  coveredUs: number;
}

export class LineSession {
  readonly counters: LineSessionCounters = {
    lines: 0,
    ignoredLines: 0,
    messages: 0,
    hellos: 0,
    samples: 0,
    events: 0,
    deviceWindows: 0,
    deviceWindowsLost: 0,
    windows: 0,
    clockResets: 0,
    gaps: 0,
    lostCoverageUs: 0,
    lostBeforeReadingUs: 0,
    coveredUs: 0,
  };
  /** Rejected lines and samples by reason (parser reasons plus before_hello, repeated, out_of_order). */
  readonly rejected: Record<string, number> = {};

  deviceId: string | null;
  hello: HelloMessage | null = null;
  private integrator: EnergyIntegrator;
  private anchorHostMs = 0;
  private anchorAbsUs = 0;
  private isWindowMode = false;
  private lastDeviceSeq: number | null = null;
  private livePowerSumUw = 0;
  private livePowerCount = 0;
  private livePowerSinceUs = 0;
  private hasAnnounced = false;
  /** Coverage of integrators replaced by a new hello, µs. */
  private retiredLostUs = 0;
  private retiredLostBeforeReadingUs = 0;
  private retiredCoveredUs = 0;
  /** Host time the line being handled was received at (nowMs() when it arrived), ms. */
  private lineMs = 0;
  /** End of the last sample window delivered, host ms. */
  private lastWindowEndMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: LineSessionOptions,
    private readonly output: LineSessionOutput,
  ) {
    this.deviceId = options.fixedDeviceId;
    this.integrator = new EnergyIntegrator(options.integrator);
  }

  handleLine(line: string): void {
    this.lineMs = this.options.nowMs();
    this.counters.lines += 1;
    const message = parseLine(line);
    switch (message.type) {
      case 'failure':
        if (message.reason === 'not_message') this.counters.ignoredLines += 1;
        else this.reject(message.reason);
        return;
      case 'hello':
        this.counters.messages += 1;
        this.onHello(message);
        return;
      case 'sample':
        if (this.needsDevice()) return;
        this.counters.messages += 1;
        this.onSample(message);
        return;
      case 'window':
        if (this.needsDevice()) return;
        this.counters.messages += 1;
        this.onDeviceWindow(message);
        return;
      case 'event':
        if (this.needsDevice()) return;
        this.counters.messages += 1;
        this.counters.events += 1;
        if (message.kind === 'end' && !this.isWindowMode) this.integrator.countInference();
        return;
    }
  }

  /** End of session: the open window is closed and delivered (nothing measured is dropped at a disconnect). */
  end(): void {
    this.integrator.reset();
    this.drainWindows();
  }

  private reject(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  /** True (and counted) when no device id is known yet. Announces a configured id on first use. */
  private needsDevice(): boolean {
    if (this.deviceId === null) {
      this.reject('before_hello');
      return true;
    }
    if (!this.hasAnnounced) {
      this.hasAnnounced = true;
      this.output.device({ deviceId: this.deviceId });
    }
    return false;
  }

  private onHello(hello: HelloMessage): void {
    this.counters.hellos += 1;
    const deviceId = hello.deviceId ?? this.deviceId;
    if (deviceId === null) return;
    const isNewDevice = deviceId !== this.deviceId || !this.hasAnnounced;
    const periodUs = hello.samplePeriodUs ?? 0;
    const previousPeriodUs = this.hello?.samplePeriodUs ?? 0;
    this.hello = hello;
    if (isNewDevice || periodUs !== previousPeriodUs) {
      this.end();
      if (deviceId !== this.deviceId) this.lastWindowEndMs = Number.NEGATIVE_INFINITY; // overlap is per device
      this.deviceId = deviceId;
      this.isWindowMode = false;
      this.lastDeviceSeq = null;
      this.retiredLostUs += this.integrator.stats.lostUs;
      this.retiredCoveredUs += this.integrator.stats.coveredUs;
      this.retiredLostBeforeReadingUs += this.integrator.stats.lostBeforeReadingUs;
      this.integrator = new EnergyIntegrator({
        windowUs: this.options.integrator.windowUs,
        // Without an announced period the receiver's max_gap (default 1 s) is all there is to go on.
        maxGapUs: periodUs > 0 ? periodUs * GAP_AFTER_SAMPLE_PERIODS : this.options.integrator.maxGapUs,
      });
    } else {
      this.integrator.armClockReset();
    }
    if (isNewDevice) {
      this.hasAnnounced = true;
      this.output.device({ deviceId, board: hello.board, firmware: hello.firmware });
    }
  }

  private onSample(sample: SampleMessage): void {
    this.counters.samples += 1;
    const lostBeforeReadingUs = this.integrator.stats.lostBeforeReadingUs;
    const verdict = this.integrator.push(sample.tUs, sample.powerUw, this.lineMs);
    switch (verdict) {
      case 'repeated':
      case 'out_of_order':
        this.reject(verdict);
        return;
      case 'started':
      case 'clock_reset':
        this.drainWindows();
        if (verdict === 'clock_reset') this.counters.clockResets += 1;
        this.anchor();
        this.livePowerSinceUs = this.anchorAbsUs;
        this.livePowerSumUw = 0;
        this.livePowerCount = 0;
        break;
      case 'gap':
        this.counters.gaps += 1;
        if (this.integrator.stats.lostBeforeReadingUs > lostBeforeReadingUs) {
          // The gap began before we were reading: what came before it was a backlog, read late. This sample is live,
          // so the window the gap closed is timed back from it, and so is everything after.
          this.anchor();
          this.drainWindows();
        } else {
          this.drainWindows();
          this.anchor();
        }
        break;
      case 'accepted':
        break;
    }
    if (this.integrator.pendingWindows > 0) this.drainWindows();
    this.trackLivePower(sample.powerUw);
  }

  /** Ties the current sample's device time to the host time it was received at. */
  private anchor(): void {
    this.anchorHostMs = this.lineMs;
    this.anchorAbsUs = this.integrator.lastAbsUs;
  }

  private trackLivePower(powerUw: number): void {
    this.livePowerSumUw += powerUw;
    this.livePowerCount += 1;
    const absUs = this.integrator.lastAbsUs;
    if (absUs - this.livePowerSinceUs < LIVE_POWER_INTERVAL_US) return;
    const tMs = this.anchorHostMs + (absUs - this.anchorAbsUs) / 1000;
    this.output.power(this.deviceId as string, tMs, this.livePowerSumUw / this.livePowerCount / 1e6);
    this.livePowerSinceUs = absUs;
    this.livePowerSumUw = 0;
    this.livePowerCount = 0;
  }

  private onDeviceWindow(window: WindowMessage): void {
    if (!this.isWindowMode) {
      // Windows win over samples for energy (SPEC §2): close what samples integrated so far, then stop integrating.
      this.end();
      this.isWindowMode = true;
    }
    if (this.lastDeviceSeq !== null) {
      const stepSeq = (window.seq - this.lastDeviceSeq + UINT32_RANGE) % UINT32_RANGE;
      if (stepSeq === 0) {
        this.reject('repeated');
        return;
      }
      if (stepSeq < HALF_UINT32_RANGE) this.counters.deviceWindowsLost += stepSeq - 1;
    }
    this.lastDeviceSeq = window.seq;
    this.counters.deviceWindows += 1;
    this.counters.windows += 1;
    this.output.windows([
      {
        deviceId: this.deviceId as string,
        startMs: this.lineMs - window.durationMs,
        durationS: window.durationMs / 1000,
        energyJ: window.energyUj / 1e6,
        sampleCount: window.samples,
        minPowerW: window.minPowerUw / 1e6,
        maxPowerW: window.maxPowerUw / 1e6,
        inferenceCount: window.inferences,
        source: this.options.source,
      },
    ]);
  }

  private drainWindows(): void {
    if (this.integrator.pendingWindows === 0) return;
    const closed = this.integrator.takeWindows();
    // The device sends its own windows: samples still time the live trace, but their energy would count twice.
    if (this.isWindowMode) return;
    const stats = this.integrator.stats;
    this.counters.windows += closed.length;
    this.counters.lostCoverageUs = this.retiredLostUs + stats.lostUs;
    this.counters.lostBeforeReadingUs = this.retiredLostBeforeReadingUs + stats.lostBeforeReadingUs;
    this.counters.coveredUs = this.retiredCoveredUs + stats.coveredUs;
    if (this.deviceId === null) return;
    this.output.windows(closed.map((w) => this.toDraft(w, this.deviceId as string)));
  }

  private toDraft(window: IntegratedWindow, deviceId: string): WindowDraft {
    // Never before the end of the last window: windows of one device must not overlap, even when those before were a
    // backlog longer than a window, timed from its arrival before the live stream showed how old it was.
    const startMs = Math.max(Math.round(this.anchorHostMs + (window.startUs - this.anchorAbsUs) / 1000), Math.ceil(this.lastWindowEndMs));
    this.lastWindowEndMs = startMs + window.durationUs / 1000;
    return {
      deviceId,
      startMs,
      durationS: window.durationUs / 1e6,
      energyJ: window.energyUj / 1e6,
      sampleCount: window.sampleCount,
      minPowerW: window.minPowerUw === null ? null : window.minPowerUw / 1e6,
      maxPowerW: window.maxPowerUw === null ? null : window.maxPowerUw / 1e6,
      inferenceCount: window.inferenceCount,
      source: this.options.source,
    };
  }
}
