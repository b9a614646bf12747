/**
 * The per-inference view of a lifetime footprint: energy per inference (MLPerf Tiny median or the aggregate) and SCI
 * per inference with its terms named (src/model/sci.ts). Pure.
 */
import type { EnergyPerInference } from './energy-per-inference.js';
import type { FootprintResult } from './footprint-types.js';
import { sciPerInference, type SciPerInference } from './sci.js';
import { JOULES_PER_WH } from './units.js';

export interface InferenceRate {
  inferencesPerS: number;
  basis: 'measured' | 'given';
}

/** What the per-inference view reads of a footprint (a cache may keep only these). */
export type PerInferenceBasis = Pick<FootprintResult, 'totalKgCO2e' | 'byGroup' | 'use' | 'lifetimeS' | 'grid'>;

export interface PerInferenceFootprint {
  energy: EnergyPerInference;
  /** null without a positive inference rate. */
  sci: SciPerInference | null;
}

/** Every stage but use and training: the SCI's TE for a device dedicated to one model. */
export function hardwareKgCO2e(footprint: PerInferenceBasis): number {
  return footprint.totalKgCO2e - footprint.byGroup.use - footprint.byGroup.training;
}

export function perInferenceFootprint(footprint: PerInferenceBasis, energy: EnergyPerInference, rate: InferenceRate | null): PerInferenceFootprint {
  const sci =
    rate === null
      ? null
      : sciPerInference({
          energyPerInferenceJ: energy.energyPerInferenceJ,
          energyBasis: energy.basis,
          chargerEfficiency: footprint.use.chargerEfficiency,
          selfDischargeW: (footprint.use.selfDischargeWh * JOULES_PER_WH) / footprint.lifetimeS,
          grid: footprint.grid,
          hardwareKgCO2e: hardwareKgCO2e(footprint),
          trainingKgCO2e: footprint.byGroup.training,
          lifetimeS: footprint.lifetimeS,
          inferencesPerS: rate.inferencesPerS,
          rateBasis: rate.basis,
        });
  return { energy, sci };
}

/**
 * The calculator's per-inference view: a given average power and a given rate, so each inference costs power / rate
 * of the device's energy (idle included: the `aggregate` basis; nothing was measured).
 */
export function perInferenceAtGivenRate(footprint: FootprintResult, inferencesPerS: number): PerInferenceFootprint {
  const energy: EnergyPerInference = {
    basis: 'aggregate',
    energyPerInferenceJ: footprint.power.powerW / inferencesPerS,
    perWindowJ: [],
    windows: 0,
    inferences: 0,
    averagePowerW: footprint.power.powerW,
  };
  return perInferenceFootprint(footprint, energy, { inferencesPerS, basis: 'given' });
}
