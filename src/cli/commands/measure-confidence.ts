/**
 * `measure`'s confidence: a sink decorator that keeps the window sums behind the uncertainty of the average
 * (src/model/power-confidence.ts), the `--until` stop rule, and the closing lines on confidence, energy per
 * inference and sampling. Kept apart from measure.ts so the command only wires it in.
 */
import type { Device, EnergyWindow } from '../../domain/types.js';
import { ValidationError } from '../../domain/errors.js';
import { addWindow, EMPTY_WINDOW_TOTALS, type WindowTotals } from '../../domain/window-totals.js';
import type { DeviceHello, SubmitResult, WindowSink } from '../../ingest/window-sink.js';
import { aggregateEnergyPerInference } from '../../model/energy-per-inference.js';
import type { FootprintResult } from '../../model/footprint.js';
import { perInferenceFootprint } from '../../model/per-inference.js';
import { isKnownTo, powerUncertainty, type PowerUncertainty } from '../../model/power-confidence.js';
import { samplingWarning, type SamplingWarning } from '../../model/sampling-adequacy.js';
import { formatPerInference, formatPowerUncertainty } from '../format-per-inference.js';

/** Windows before `--until` may stop: with fewer, a lucky run of similar windows would end the measurement. */
export const UNTIL_MIN_WINDOWS = 5;
/** `--until` bounds: below 0.1 % the instrument's own accuracy dominates; above 50 % it is no measurement. */
const MIN_UNTIL = 0.001;
const MAX_UNTIL = 0.5;

/** `2%` or `0.02` → 0.02. */
export function parseUntil(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const value = match === null ? Number.NaN : Number(match[1]) / (match[2] === '%' ? 100 : 1);
  if (!(value >= MIN_UNTIL && value <= MAX_UNTIL)) {
    throw new ValidationError(`--until must be a relative precision between ${MIN_UNTIL * 100} % and ${MAX_UNTIL * 100} %, e.g. 2%, got "${text}"`);
  }
  return value;
}

/** Keeps the totals (with their squares) of every window that passes to `inner` (null: only counts). */
export class ConfidenceTally implements WindowSink {
  private totals: WindowTotals = EMPTY_WINDOW_TOTALS;

  constructor(private readonly inner: WindowSink | null) {}

  get windowTotals(): WindowTotals {
    return this.totals;
  }

  get uncertainty(): PowerUncertainty | null {
    return powerUncertainty(this.totals);
  }

  /** The `--until` rule: the 95 % interval is within ±target of the average, over UNTIL_MIN_WINDOWS windows at least. */
  isKnownTo(target: number): boolean {
    return isKnownTo(this.uncertainty, target, UNTIL_MIN_WINDOWS);
  }

  async announce(hello: DeviceHello): Promise<Device> {
    return this.inner === null ? ({ id: hello.deviceId } as Device) : this.inner.announce(hello);
  }

  async submitWindows(windows: readonly EnergyWindow[]): Promise<SubmitResult> {
    const result = this.inner === null ? { inserted: windows.length, duplicates: 0 } : await this.inner.submitWindows(windows);
    for (const window of windows) this.totals = addWindow(this.totals, window);
    return result;
  }

  publishPower(deviceId: string, tMs: number, powerW: number): void {
    this.inner?.publishPower(deviceId, tMs, powerW);
  }
}

/** The sampling check of what was measured: mean sample period from the windows, bursts from min/max/average. */
export function measuredSamplingWarning(t: WindowTotals): SamplingWarning | null {
  if (t.samples === 0 || !(t.observedS > 0)) return null;
  return samplingWarning({
    samplePeriodS: t.observedS / t.samples,
    observedS: t.observedS,
    inferences: t.inferences,
    averagePowerW: t.energyJ / t.observedS,
    minPowerW: t.minPowerW,
    maxPowerW: t.maxPowerW,
  });
}

export interface ConfidenceSummary {
  powerUncertainty: PowerUncertainty | null;
  until: { target: number; reached: boolean } | null;
  samplingWarning: SamplingWarning | null;
}

export function confidenceSummary(tally: ConfidenceTally, until: number | null): ConfidenceSummary {
  return {
    powerUncertainty: tally.uncertainty,
    until: until === null ? null : { target: until, reached: tally.isKnownTo(until) },
    samplingWarning: measuredSamplingWarning(tally.windowTotals),
  };
}

/** The closing table's lines: confidence, the --until outcome, per-inference figures (aggregate: TMF1 counts), sampling. */
export function confidenceLines(summary: ConfidenceSummary, tally: ConfidenceTally, footprint: FootprintResult): string[] {
  const lines = summary.powerUncertainty === null ? [] : formatPowerUncertainty(summary.powerUncertainty);
  if (summary.until !== null) {
    const target = `± ${(summary.until.target * 100).toPrecision(2)} %`;
    lines.push(`Until      ${summary.until.reached ? `reached ${target}` : `stopped at the maximum duration before ${target}`}`);
  }
  const t = tally.windowTotals;
  const energy = aggregateEnergyPerInference(t);
  if (energy !== null) {
    lines.push(...formatPerInference(perInferenceFootprint(footprint, energy, { inferencesPerS: t.inferences / t.observedS, basis: 'measured' })));
  }
  if (summary.samplingWarning !== null) lines.push(`Warning    ${summary.samplingWarning.message}`);
  return lines;
}
