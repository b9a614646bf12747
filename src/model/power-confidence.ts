/**
 * How well a measured average power is known. The average is a ratio of sums, P = Σ E_i / Σ T_i over the windows;
 * its standard error is the ratio estimator's (Cochran, Sampling Techniques, 3rd ed. 1977, §6.4, eq. 6.9 with the
 * finite-population term dropped):
 *   SE(P) = sqrt( Σ (E_i − P·T_i)² / (n (n − 1)) ) / T̄ ,   T̄ = Σ T_i / n
 * and the 95 % interval is P ± t(0.975, n − 1) · SE. Why this estimator: windows differ in length (a reconnect cuts
 * one short), so a plain mean of window powers would weigh a 1 s stub like a 60 s window; the ratio estimator weighs
 * by duration and needs only running sums (Σ E², Σ E·T, Σ T², kept by the store's aggregate), not the windows.
 * It assumes windows vary independently: a slow drift (battery sag, temperature) makes it too narrow, which is why
 * it is called window-to-window variation, not accuracy. The instrument's stated accuracy is a separate, systematic
 * bound; the two are combined in quadrature only when every window names an instrument whose accuracy is known.
 * Pure.
 */
import type { InstrumentId } from '../domain/instruments.js';
import { INSTRUMENT_ACCURACY } from './instrument-accuracy.js';

/** The sums a set of windows gives (DeviceAggregate holds them). */
export interface WindowSums {
  windows: number;
  energyJ: number;
  observedS: number;
  energySquaresJ2: number;
  energyDurationJS: number;
  durationSquaresS2: number;
  instruments: readonly InstrumentId[];
  instrumentedS: number;
}

export const POWER_CONFIDENCE_LEVEL = 0.95;

/** Below this many windows there is no variance to speak of (one window: none at all). */
export const MIN_WINDOWS_FOR_INTERVAL = 2;

export interface PowerUncertainty {
  estimator: 'ratio-of-sums, Student t over windows';
  confidenceLevel: number;
  windows: number;
  powerW: number;
  /** null with fewer than MIN_WINDOWS_FOR_INTERVAL windows. */
  standardErrorW: number | null;
  /** Half the 95 % interval, W, and as a fraction of the average. */
  halfWidthW: number | null;
  relativeHalfWidth: number | null;
  instrument: {
    ids: InstrumentId[];
    /** Share of the observed time measured by a named instrument. */
    coveredShare: number;
    /** The worst stated accuracy of the instruments named; null if any of them has none (or none is named). */
    relativeAccuracy: number | null;
    citations: string[];
  };
  /** sqrt(relativeHalfWidth² + relativeAccuracy²), when both are known and the instruments cover every window. */
  combinedRelative: number | null;
}

/** Two-sided 95 % Student t quantiles for 1..30 degrees of freedom (any statistics table, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2). */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
const Z_975 = 1.959964;

/** t(0.975, df): the table up to 30, then the Cornish–Fisher expansion (within 0.001 of the exact value there). */
export function studentT975(degreesOfFreedom: number): number {
  if (!(degreesOfFreedom >= 1)) throw new RangeError('degrees of freedom must be ≥ 1');
  const df = Math.floor(degreesOfFreedom);
  if (df <= T_975.length) return T_975[df - 1] as number;
  const z = Z_975;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

export function powerUncertainty(sums: WindowSums): PowerUncertainty | null {
  if (sums.windows === 0 || !(sums.observedS > 0)) return null;
  const n = sums.windows;
  const powerW = sums.energyJ / sums.observedS;
  let standardErrorW: number | null = null;
  if (n >= MIN_WINDOWS_FOR_INTERVAL) {
    // Σ (E − P·T)² expanded; rounding can leave a tiny negative where all windows agree.
    const residualSquares = Math.max(0, sums.energySquaresJ2 - 2 * powerW * sums.energyDurationJS + powerW * powerW * sums.durationSquaresS2);
    standardErrorW = Math.sqrt((residualSquares * n) / (n - 1)) / sums.observedS;
  }
  const halfWidthW = standardErrorW === null ? null : studentT975(n - 1) * standardErrorW;
  const relativeHalfWidth = halfWidthW === null ? null : powerW > 0 ? halfWidthW / powerW : null;
  const ids = [...sums.instruments];
  const accuracies = ids.map((id) => INSTRUMENT_ACCURACY[id]);
  const relativeAccuracy =
    ids.length > 0 && accuracies.every((a) => a.relativeAccuracy !== null) ? Math.max(...accuracies.map((a) => a.relativeAccuracy as number)) : null;
  const coveredShare = Math.min(1, sums.instrumentedS / sums.observedS);
  const combinedRelative =
    relativeHalfWidth !== null && relativeAccuracy !== null && coveredShare >= 1 - 1e-9 ? Math.hypot(relativeHalfWidth, relativeAccuracy) : null;
  return {
    estimator: 'ratio-of-sums, Student t over windows',
    confidenceLevel: POWER_CONFIDENCE_LEVEL,
    windows: n,
    powerW,
    standardErrorW,
    halfWidthW,
    relativeHalfWidth,
    instrument: { ids, coveredShare, relativeAccuracy, citations: accuracies.map((a) => a.citation) },
    combinedRelative,
  };
}

/**
 * The stop rule of `measure --until`: the average is known to ±target (relative half-width of the 95 % interval)
 * once at least `minWindows` windows agree that well.
 */
export function isKnownTo(uncertainty: PowerUncertainty | null, targetRelative: number, minWindows: number): boolean {
  return uncertainty !== null && uncertainty.windows >= minWindows && uncertainty.relativeHalfWidth !== null && uncertainty.relativeHalfWidth <= targetRelative;
}
