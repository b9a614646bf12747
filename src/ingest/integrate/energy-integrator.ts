/**
 * Pure sample → energy-window integrator (firmware-protocol/SPEC.md §4.2). No clock, no I/O.
 * Time is the device's uint32 µs counter, unwrapped into an absolute µs timeline starting at 0. The caller passes
 * the host time each sample was received at: it only tells a long forward jump of device time from a wrap.
 */

/** Windows close every 10 s of device time by default: 360 rows/device/hour in the store, and a 10 s live lag. */
export const DEFAULT_WINDOW_US = 10_000_000;
/** A gap above 1 s between samples is not integrated (a stalled USB link, a brown-out): we don't invent energy. */
export const DEFAULT_MAX_GAP_US = 1_000_000;
/** After this many consecutive backwards timestamps the device clock is taken to have restarted. */
export const CLOCK_RESET_AFTER_BACKWARDS = 16;

/** Values of a uint32 counter (the device's µs clock, device window seqs): differences are taken modulo this. */
export const UINT32_RANGE = 4_294_967_296;
/** A forward difference of half the counter range or more is read as going backwards (unless the host clock says otherwise). */
export const HALF_UINT32_RANGE = 2_147_483_648;
/**
 * When the host clock says at least a quarter of the counter range (2³⁰ µs ≈ 17.9 min) passed since the previous
 * sample, device time may have jumped forward by more than half the range, or wrapped more than once: the forward
 * difference (raw + k·2³²) closest to the host's elapsed time is taken, if it is within the tolerance below.
 */
export const HOST_DISAMBIGUATES_AFTER_US = 1_073_741_824;
/**
 * After a gap that began before reading (a backlog, then the live stream), the live samples of the next 1 s of device
 * time refine when the first of them was really sent: it arrived only after the backlog was read, so its arrival
 * time overstates the loss by that reading time; the earliest (arrival − device time) over that second does not.
 */
export const BACKLOG_REFINE_US = 1_000_000;
/** Device and host clocks agree within 0.1 % (a crystal drifts ≤ 100 ppm, an RC oscillator after calibration ~0.1 %) … */
export const HOST_MATCH_RELATIVE = 0.001;
/**
 * … plus 1 s of receive latency. A rebooted device whose restarted clock lands in that window by chance (probability
 * 2 · tolerance / 2³² µs: 0.25 % after an hour's silence) is read as a long gap instead of a clock reset: the energy
 * after it is integrated the same either way.
 */
export const HOST_MATCH_ABSOLUTE_US = 1_000_000;
/**
 * A marked run (a window opened by a marker, closed by the next: MLPerf Tiny's measured inferences between two
 * timestamp edges, 10–20 s there) is not split by the window timer, up to 1 h: a missed closing marker must not hold
 * a window open for a day and hide its energy from the live totals.
 */
export const MAX_MARKED_RUN_US = 3_600_000_000;

export interface IntegratorConfig {
  windowUs: number;
  maxGapUs: number;
}

export const DEFAULT_INTEGRATOR_CONFIG: Readonly<IntegratorConfig> = Object.freeze({
  windowUs: DEFAULT_WINDOW_US,
  maxGapUs: DEFAULT_MAX_GAP_US,
});

/** A closed window on the unwrapped device timeline. */
export interface IntegratedWindow {
  startUs: number;
  /** Covered time (gaps excluded; windows close at a gap). */
  durationUs: number;
  energyUj: number;
  sampleCount: number;
  minPowerUw: number | null;
  maxPowerUw: number | null;
  inferenceCount: number;
  /** Opened by a marker and closed by the next one (marker()): its energy is exactly the energy between them. */
  betweenMarkers: boolean;
}

/**
 * What happened to a pushed sample. `started` and `clock_reset` begin a new timeline (callers re-anchor device time
 * to wall time there); `repeated` and `out_of_order` are rejections.
 */
export type SampleVerdict = 'started' | 'accepted' | 'gap' | 'clock_reset' | 'repeated' | 'out_of_order';

export interface IntegratorStats {
  accepted: number;
  repeated: number;
  outOfOrder: number;
  clockResets: number;
  gaps: number;
  /**
   * Device time not integrated because of gaps while the receiver was reading, µs. A gap longer than the host time
   * since the timeline started began before it: the data before it was a backlog (held by the OS or the adapter
   * while nobody read the port), and only the part of the gap after the timeline's first sample arrived is lost.
   */
  lostUs: number;
  /** Device time of gaps that passed before the receiver was reading (the rest of such gaps), µs. */
  lostBeforeReadingUs: number;
  /** Device time integrated, µs. */
  coveredUs: number;
  energyUj: number;
}

export class EnergyIntegrator {
  readonly stats: IntegratorStats = {
    accepted: 0,
    repeated: 0,
    outOfOrder: 0,
    clockResets: 0,
    gaps: 0,
    lostUs: 0,
    lostBeforeReadingUs: 0,
    coveredUs: 0,
    energyUj: 0,
  };

  private hasPrevious = false;
  private previousRawUs = 0;
  private previousAbsUs = 0;
  private previousPowerUw = 0;
  /** Host time the previous accepted sample was received at, ms. */
  private previousHostMs = 0;
  /** Host time the timeline's first sample was received at, ms. */
  private timelineHostMs = 0;
  /** The last gap that began before reading, while its loss is refined (BACKLOG_REFINE_US). */
  private backlogGap: { absUs: number; deltaUs: number; lostUs: number; offsetMs: number } | null = null;
  private backwardsRun = 0;

  private windowStartUs = 0;
  private windowEndUs = 0;
  /** µW·µs = pJ; divided by 1e6 once per window. */
  private windowEnergyPj = 0;
  private windowCoveredUs = 0;
  private windowSamples = 0;
  private windowMinUw = Number.POSITIVE_INFINITY;
  private windowMaxUw = Number.NEGATIVE_INFINITY;
  private windowInferences = 0;
  /** The open window was opened by marker(…, opensRun = true) and is closed only by the next marker (or a gap). */
  private isMarkedRun = false;

  private readonly closed: IntegratedWindow[] = [];

  constructor(private readonly config: IntegratorConfig = DEFAULT_INTEGRATOR_CONFIG) {
    if (!(config.windowUs > 0) || !(config.maxGapUs > 0)) throw new RangeError('windowUs and maxGapUs must be > 0');
  }

  /** Absolute device time of the last accepted sample, µs. */
  get lastAbsUs(): number {
    return this.previousAbsUs;
  }

  /** Closed windows not yet taken (bounded: the caller drains after every push that can close one). */
  get pendingWindows(): number {
    return this.closed.length;
  }

  /** `hostMs`: when the host received the sample (ms, any epoch, monotonic within a session). */
  push(tUs: number, powerUw: number, hostMs: number): SampleVerdict {
    if (!this.hasPrevious) {
      this.startTimeline(tUs, powerUw, this.previousAbsUs, hostMs);
      return 'started';
    }
    const rawDeltaUs = (tUs - this.previousRawUs + UINT32_RANGE) % UINT32_RANGE;
    const longForwardUs = this.hostConsistentForwardUs(rawDeltaUs, hostMs);
    if (longForwardUs !== null) return this.forward(tUs, powerUw, longForwardUs, hostMs);
    const deltaUs = rawDeltaUs;
    if (deltaUs === 0) {
      this.stats.repeated += 1;
      return 'repeated';
    }
    if (deltaUs >= HALF_UINT32_RANGE) {
      this.backwardsRun += 1;
      if (this.backwardsRun < CLOCK_RESET_AFTER_BACKWARDS) {
        this.stats.outOfOrder += 1;
        return 'out_of_order';
      }
      this.stats.clockResets += 1;
      this.closeWindow();
      this.startTimeline(tUs, powerUw, this.previousAbsUs, hostMs);
      return 'clock_reset';
    }
    return this.forward(tUs, powerUw, deltaUs, hostMs);
  }

  /** An inference ended: counted in the window open now. */
  countInference(count = 1): void {
    this.windowInferences += count;
  }

  /**
   * A marker (an instrument's event input, e.g. the LPM01A's D7) at the last sample's time: the open window ends there
   * and the next begins there, without a gap. `inferences` are counted in the window that ends. With `opensRun` the new
   * window is a marked run: the window timer does not split it (up to MAX_MARKED_RUN_US), and when the next marker
   * ends it, it is `betweenMarkers`. Before the first sample of a timeline a marker only counts its inferences.
   */
  marker(inferences: number, opensRun: boolean): void {
    this.windowInferences += inferences;
    if (!this.hasPrevious) return;
    this.closeWindow(true);
    this.openWindow(this.previousAbsUs, opensRun);
  }

  /**
   * The device just said hello again: if the next sample goes backwards, it rebooted, so take that sample as a clock
   * restart at once instead of rejecting CLOCK_RESET_AFTER_BACKWARDS − 1 samples first. A forward sample disarms.
   */
  armClockReset(): void {
    if (this.hasPrevious) this.backwardsRun = CLOCK_RESET_AFTER_BACKWARDS - 1;
  }

  /** A sample `deltaUs` after the previous one: integrated, or a gap. */
  private forward(tUs: number, powerUw: number, deltaUs: number, hostMs: number): SampleVerdict {
    this.backwardsRun = 0;
    this.stats.accepted += 1;
    const absUs = this.previousAbsUs + deltaUs;
    if (deltaUs > this.config.maxGapUs) {
      this.stats.gaps += 1;
      const whileReadingUs = Math.min(deltaUs, Math.max(0, (hostMs - this.timelineHostMs) * 1000));
      this.stats.lostUs += whileReadingUs;
      this.stats.lostBeforeReadingUs += deltaUs - whileReadingUs;
      this.backlogGap = whileReadingUs < deltaUs ? { absUs, deltaUs, lostUs: whileReadingUs, offsetMs: hostMs - absUs / 1000 } : null;
      this.closeWindow();
      this.openWindow(absUs);
      this.addSample(tUs, absUs, powerUw, hostMs);
      return 'gap';
    }
    this.integrateSegment(absUs, powerUw);
    this.addSample(tUs, absUs, powerUw, hostMs);
    this.refineBacklogGap(absUs, hostMs);
    return 'accepted';
  }

  /**
   * Lost coverage of the last backlog gap is `min(gap, sent − first arrival)`, where the live stream's first sample was
   * sent at its device time plus the smallest (arrival − device time) seen in the BACKLOG_REFINE_US after it.
   */
  private refineBacklogGap(absUs: number, hostMs: number): void {
    const gap = this.backlogGap;
    if (gap === null) return;
    if (absUs - gap.absUs > BACKLOG_REFINE_US) {
      this.backlogGap = null;
      return;
    }
    gap.offsetMs = Math.min(gap.offsetMs, hostMs - absUs / 1000);
    const sentMs = gap.absUs / 1000 + gap.offsetMs;
    const lostUs = Math.round(Math.min(gap.deltaUs, Math.max(0, (sentMs - this.timelineHostMs) * 1000)));
    this.stats.lostUs += lostUs - gap.lostUs;
    this.stats.lostBeforeReadingUs -= lostUs - gap.lostUs;
    gap.lostUs = lostUs;
  }

  /**
   * The real forward difference when the host clock shows a long silence (HOST_DISAMBIGUATES_AFTER_US): raw + k·2³²
   * closest to the host's elapsed time, or null when none is close enough (then the raw difference decides).
   */
  private hostConsistentForwardUs(rawDeltaUs: number, hostMs: number): number | null {
    const hostElapsedUs = (hostMs - this.previousHostMs) * 1000;
    if (!(hostElapsedUs >= HOST_DISAMBIGUATES_AFTER_US)) return null;
    const wraps = Math.max(0, Math.round((hostElapsedUs - rawDeltaUs) / UINT32_RANGE));
    const forwardUs = rawDeltaUs + wraps * UINT32_RANGE;
    const toleranceUs = hostElapsedUs * HOST_MATCH_RELATIVE + HOST_MATCH_ABSOLUTE_US;
    return forwardUs > 0 && Math.abs(forwardUs - hostElapsedUs) <= toleranceUs ? forwardUs : null;
  }

  /** Close the open window (if it covers any time) and start a fresh timeline at the next sample. */
  reset(): void {
    this.closeWindow();
    this.hasPrevious = false;
    this.backwardsRun = 0;
  }

  /** Closed windows, oldest first; the internal list is emptied. */
  takeWindows(): IntegratedWindow[] {
    return this.closed.splice(0, this.closed.length);
  }

  private startTimeline(tUs: number, powerUw: number, absUs: number, hostMs: number): void {
    this.hasPrevious = true;
    this.backwardsRun = 0;
    this.stats.accepted += 1;
    this.timelineHostMs = hostMs;
    this.backlogGap = null;
    this.openWindow(absUs);
    this.addSample(tUs, absUs, powerUw, hostMs);
  }

  /** Trapezoid from the previous sample to (absUs, powerUw), split exactly at window boundaries. */
  private integrateSegment(absUs: number, powerUw: number): void {
    let segmentStartUs = this.previousAbsUs;
    let segmentStartUw = this.previousPowerUw;
    const slopeUwPerUs = (powerUw - segmentStartUw) / (absUs - segmentStartUs);
    while (absUs >= this.windowEndUs) {
      const boundaryUs = this.windowEndUs;
      const boundaryUw = this.previousPowerUw + slopeUwPerUs * (boundaryUs - this.previousAbsUs);
      this.accumulate(segmentStartUw, boundaryUw, boundaryUs - segmentStartUs);
      // The boundary power belongs to both windows: each holds energy of the ramp up to it, so its min/max must
      // bracket it, or a correct window's average can fall outside them (a 1 Hz step: `average_outside_min_max`).
      this.trackPower(boundaryUw);
      this.closeWindow();
      this.openWindow(boundaryUs);
      this.trackPower(boundaryUw);
      segmentStartUs = boundaryUs;
      segmentStartUw = boundaryUw;
    }
    this.accumulate(segmentStartUw, powerUw, absUs - segmentStartUs);
  }

  private accumulate(fromUw: number, toUw: number, durationUs: number): void {
    this.windowEnergyPj += ((fromUw + toUw) / 2) * durationUs;
    this.windowCoveredUs += durationUs;
  }

  private addSample(tUs: number, absUs: number, powerUw: number, hostMs: number): void {
    this.previousHostMs = hostMs;
    this.previousRawUs = tUs;
    this.previousAbsUs = absUs;
    this.previousPowerUw = powerUw;
    this.windowSamples += 1;
    this.trackPower(powerUw);
  }

  /** Min/max of the power the window's trapezoids run through: its samples and its interpolated boundary values. */
  private trackPower(powerUw: number): void {
    if (powerUw < this.windowMinUw) this.windowMinUw = powerUw;
    if (powerUw > this.windowMaxUw) this.windowMaxUw = powerUw;
  }

  private openWindow(startUs: number, opensRun = false): void {
    this.isMarkedRun = opensRun;
    this.windowStartUs = startUs;
    this.windowEndUs = startUs + (opensRun ? MAX_MARKED_RUN_US : this.config.windowUs);
    this.windowEnergyPj = 0;
    this.windowCoveredUs = 0;
    this.windowSamples = 0;
    this.windowMinUw = Number.POSITIVE_INFINITY;
    this.windowMaxUw = Number.NEGATIVE_INFINITY;
    // windowInferences is not reset here: an inference that ended before the first sample of a timeline counts in it.
  }

  /**
   * Emits the open window when it covers time; a zero-length window (one lone sample) is dropped. `atMarker`: a marker
   * closes a marked run (the window is then `betweenMarkers`); any other close ends the run.
   */
  private closeWindow(atMarker = false): void {
    const wasRun = this.isMarkedRun;
    this.isMarkedRun = false;
    if (this.windowCoveredUs <= 0) return;
    const energyUj = this.windowEnergyPj / 1e6;
    this.stats.coveredUs += this.windowCoveredUs;
    this.stats.energyUj += energyUj;
    this.closed.push({
      startUs: this.windowStartUs,
      durationUs: this.windowCoveredUs,
      energyUj,
      sampleCount: this.windowSamples,
      // Finite once the window covers time: a covered window has a sample or a boundary inside it.
      minPowerUw: Number.isFinite(this.windowMinUw) ? this.windowMinUw : null,
      maxPowerUw: Number.isFinite(this.windowMaxUw) ? this.windowMaxUw : null,
      inferenceCount: this.windowInferences,
      betweenMarkers: wasRun && atMarker,
    });
    this.windowCoveredUs = 0;
    this.windowEnergyPj = 0;
    this.windowInferences = 0;
  }
}
