/**
 * Energy per inference, the MLPerf Tiny way (instruments.md §1.5, mlcommons/tiny `benchmark/runner/main.py:
 * print_energy_results`): the energy between the two markers of each window divided by that window's inferences,
 * then the median over the windows. Where only counts are known (TMF1 / MQTT windows carry `inferenceCount` among idle
 * time), the figure is the aggregate's energy over its inferences, and says so. Pure.
 */

/** How a per-inference figure was obtained. */
export type PerInferenceBasis = 'per-window-median' | 'aggregate';

/** What one marker-bounded window contributes: its energy and the inferences run between its markers. */
export interface InferenceWindowEnergy {
  energyJ: number;
  inferenceCount: number;
  durationS: number;
}

export interface EnergyPerInference {
  basis: PerInferenceBasis;
  /** The median of the windows' energy per inference (per-window-median), or Σ energy / Σ inferences (aggregate). */
  energyPerInferenceJ: number;
  /** Each window's energy per inference, in the order given (per-window-median only; empty for aggregate). */
  perWindowJ: number[];
  windows: number;
  inferences: number;
  /** Σ energy / Σ duration over the windows used. */
  averagePowerW: number;
}

/** The median (the mean of the middle two for an even count, as numpy.median and statistics.median). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** MLPerf Tiny's figure over marker-bounded windows; null when no window has inferences. */
export function medianEnergyPerInference(windows: readonly InferenceWindowEnergy[]): EnergyPerInference | null {
  const used = windows.filter((window) => window.inferenceCount > 0);
  if (used.length === 0) return null;
  const perWindowJ = used.map((window) => window.energyJ / window.inferenceCount);
  const energyJ = used.reduce((sum, window) => sum + window.energyJ, 0);
  const durationS = used.reduce((sum, window) => sum + window.durationS, 0);
  return {
    basis: 'per-window-median',
    energyPerInferenceJ: median(perWindowJ),
    perWindowJ,
    windows: used.length,
    inferences: used.reduce((sum, window) => sum + window.inferenceCount, 0),
    averagePowerW: durationS > 0 ? energyJ / durationS : 0,
  };
}

/**
 * From totals only: the energy of the whole observed time (idle included) over the inferences counted in it. Null
 * without inferences. This is what the device spends per inference in its real duty cycle, not the energy of one
 * inference alone (which needs markers).
 */
export function aggregateEnergyPerInference(totals: { energyJ: number; inferences: number; windows: number; observedS: number }): EnergyPerInference | null {
  if (totals.inferences <= 0 || totals.observedS <= 0) return null;
  return {
    basis: 'aggregate',
    energyPerInferenceJ: totals.energyJ / totals.inferences,
    perWindowJ: [],
    windows: totals.windows,
    inferences: totals.inferences,
    averagePowerW: totals.energyJ / totals.observedS,
  };
}
