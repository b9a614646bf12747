/**
 * What every sampling reader needs between its decoder and the window delivery, pulled out of the TMF1 line session
 * so that each instrument driver (TMF1 boards, the LPM01A, the PPK2) shares it: samples on the device's timeline in,
 * energy windows timed on the host clock out, plus a decimated live-power trace and the instrument's markers.
 *
 * - **Time anchoring.** Device time is tied to the host time a sample arrived at, once per timeline (its first sample,
 *   a clock reset, a gap); windows are timed from that anchor, never before the end of the window drafted before.
 *   After a gap that began before reading (a backlog, then the live stream) the anchor moves to the live sample first,
 *   so the window the gap closed is timed back from it.
 * - **Live power.** At most every LIVE_POWER_INTERVAL_US of device time, the mean of the samples since the last.
 * - **Windowing.** The EnergyIntegrator (trapezoid, µs wrap, gaps, window boundaries); `marker()` cuts a window at an
 *   instrument's marker, and a window between two markers is drafted `betweenMarkers: true` (window-sink.ts).
 *
 * No I/O and no clock: host times come in with each sample.
 */
import type { InstrumentId } from '../../domain/instruments.js';
import type { WindowDraft } from '../window-sink.js';
import { EnergyIntegrator } from './energy-integrator.js';
import type { IntegratedWindow, IntegratorConfig, IntegratorStats, SampleVerdict } from './energy-integrator.js';

/** Live power is published at most every 100 ms of device time (≤ 10 Hz), as the mean of the samples since the last. */
export const LIVE_POWER_INTERVAL_US = 100_000;

/** A drafted window with its span on the device timeline (µs), for a reader that holds windows back (TMF1, SPEC §2). */
export interface TimelineWindow {
  draft: WindowDraft;
  startUs: number;
  endUs: number;
}

export interface SampleTimelineOptions {
  /** Stored with every window, e.g. `serial:/dev/ttyACM0`. */
  source: string;
  integrator: IntegratorConfig;
  /** The device the windows are drafted for; null: windows are integrated but not drafted (no device known yet). */
  deviceId: string | null;
  /** Live power, already decimated: host time (ms) and the mean power since the last call (W). */
  power(tMs: number, powerW: number): void;
  /** No window is drafted to start before this host time (ms): where this device's last window ended. */
  floorMs?: number;
  /** The lab instrument that measured the samples (an instrument driver): every window names it, so its accuracy counts. */
  instrument?: InstrumentId;
  /**
   * True when a marked run holds exactly its inferences and nothing else (LPM01A: markers before and after N
   * inferences, MLPerf Tiny's window): such runs are stored as span `inferences` and give the per-inference median.
   * False (default) when a run also holds idle time (PPK2: rising edge to rising edge, a whole period).
   */
  runsAreInferenceSpans?: boolean;
}

export class SampleTimeline {
  private readonly integrator: EnergyIntegrator;
  private readonly drafted: TimelineWindow[] = [];
  private anchorHostMs = 0;
  private anchorAbsUs = 0;
  private livePowerSumUw = 0;
  private livePowerCount = 0;
  private livePowerSinceUs = 0;
  /** False: closed windows are dropped, not drafted (a TMF1 device that sends its own W windows, SPEC §2). */
  private isDrafting = true;
  /** End of the last window drafted, host ms: the next one starts after it. Readers with other windows move it on. */
  draftEndMs: number;

  constructor(private readonly options: SampleTimelineOptions) {
    this.integrator = new EnergyIntegrator(options.integrator);
    this.draftEndMs = options.floorMs ?? Number.NEGATIVE_INFINITY;
  }

  /** Absolute device time of the last accepted sample, µs (0 before the first). */
  get lastAbsUs(): number {
    return this.integrator.lastAbsUs;
  }

  get stats(): Readonly<IntegratorStats> {
    return this.integrator.stats;
  }

  /** Windows drafted and not yet taken. */
  get pendingWindows(): number {
    return this.drafted.length + this.integrator.pendingWindows;
  }

  /**
   * One sample: `tUs` on the device's uint32 µs clock (an instrument that sends no time passes its sample index × period,
   * modulo 2³²), `powerUw`, and the host time it arrived at. `repeated` and `out_of_order` samples are not integrated.
   */
  push(tUs: number, powerUw: number, hostMs: number): SampleVerdict {
    const lostBeforeReadingUs = this.integrator.stats.lostBeforeReadingUs;
    const verdict = this.integrator.push(tUs, powerUw, hostMs);
    switch (verdict) {
      case 'repeated':
      case 'out_of_order':
        return verdict;
      case 'started':
      case 'clock_reset':
        this.draftClosed();
        this.anchor(hostMs);
        this.livePowerSinceUs = this.anchorAbsUs;
        this.livePowerSumUw = 0;
        this.livePowerCount = 0;
        break;
      case 'gap':
        if (this.integrator.stats.lostBeforeReadingUs > lostBeforeReadingUs) {
          // The gap began before we were reading: what came before it was a backlog, read late. This sample is live,
          // so the window the gap closed is timed back from it, and so is everything after.
          this.anchor(hostMs);
          this.draftClosed();
        } else {
          this.draftClosed();
          this.anchor(hostMs);
        }
        break;
      case 'accepted':
        break;
    }
    if (this.integrator.pendingWindows > 0) this.draftClosed();
    this.trackLivePower(powerUw);
    return verdict;
  }

  /** Inferences that ended now: counted in the window open now. */
  countInference(count = 1): void {
    this.integrator.countInference(count);
  }

  /** An instrument's marker at the last sample (EnergyIntegrator.marker): the window open now ends here. */
  marker(inferences: number, opensRun: boolean): void {
    this.integrator.marker(inferences, opensRun);
    this.draftClosed();
  }

  /** The next backwards sample restarts the clock at once (a TMF1 device said hello again). */
  armClockReset(): void {
    this.integrator.armClockReset();
  }

  /** Closes the open window; the next sample starts a new timeline (re-anchored). */
  reset(): void {
    this.integrator.reset();
    this.draftClosed();
  }

  /** From now on closed windows are dropped (false) or drafted (true). */
  setDrafting(isDrafting: boolean): void {
    this.isDrafting = isDrafting;
  }

  /** The drafted windows, oldest first; emptied. */
  takeWindows(): TimelineWindow[] {
    this.draftClosed();
    return this.drafted.splice(0, this.drafted.length);
  }

  /** Ties the current sample's device time to the host time it was received at. */
  private anchor(hostMs: number): void {
    this.anchorHostMs = hostMs;
    this.anchorAbsUs = this.integrator.lastAbsUs;
  }

  private draftClosed(): void {
    if (this.integrator.pendingWindows === 0) return;
    const closed = this.integrator.takeWindows();
    const deviceId = this.options.deviceId;
    if (!this.isDrafting || deviceId === null) return;
    for (const window of closed)
      this.drafted.push({ draft: this.toDraft(window, deviceId), startUs: window.startUs, endUs: window.startUs + window.durationUs });
  }

  private trackLivePower(powerUw: number): void {
    this.livePowerSumUw += powerUw;
    this.livePowerCount += 1;
    const absUs = this.integrator.lastAbsUs;
    if (absUs - this.livePowerSinceUs < LIVE_POWER_INTERVAL_US) return;
    const tMs = this.anchorHostMs + (absUs - this.anchorAbsUs) / 1000;
    this.options.power(tMs, this.livePowerSumUw / this.livePowerCount / 1e6);
    this.livePowerSinceUs = absUs;
    this.livePowerSumUw = 0;
    this.livePowerCount = 0;
  }

  private toDraft(window: IntegratedWindow, deviceId: string): WindowDraft {
    // Never before the end of the last window: windows of one device must not overlap, even when those before were a
    // backlog longer than a window, timed from its arrival before the live stream showed how old it was.
    const startMs = Math.max(Math.round(this.anchorHostMs + (window.startUs - this.anchorAbsUs) / 1000), Math.ceil(this.draftEndMs));
    this.draftEndMs = startMs + window.durationUs / 1000;
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
      ...(this.options.instrument === undefined ? {} : { instrument: this.options.instrument }),
      ...(window.betweenMarkers ? { betweenMarkers: true as const } : {}),
      // A run of inferences between two markers is MLPerf Tiny's window: stored as span `inferences`, it feeds the
      // per-inference median (a marked run without inferences stays a time window: the span needs some).
      ...(this.options.runsAreInferenceSpans === true && window.betweenMarkers && window.inferenceCount > 0 ? { span: 'inferences' as const } : {}),
    };
  }
}
