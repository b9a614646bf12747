/**
 * Software Carbon Intensity per inference (Green Software Foundation SCI, ISO/IEC 21031:2024):
 *   SCI = (E · I + M) per R,   M = TE · (TiR / EL) · (RR / ToR)
 * with R = one inference. For a device that runs one model and nothing else: E is the grid energy one inference
 * costs ((device energy per inference + the battery's self-discharge over the time it reserves) / charger efficiency), I the grid's intensity, TE the device's hardware
 * footprint (embodied, transport, battery replacements, end of life: every stage but use and training), TiR the time
 * one inference reserves the device (1 / inference rate), EL its expected lifespan, RR/ToR = 1 (the whole device).
 * Training is not hardware: it is reported beside SCI, never inside M. Pure; units in names.
 */
import type { GridFactor, Provenance } from './catalogue-types.js';
import type { PerInferenceBasis } from './energy-per-inference.js';
import { JOULES_PER_WH, WH_PER_KWH } from './units.js';

export interface SciInput {
  /** Device energy per inference (the E before grid losses), and how it was obtained. */
  energyPerInferenceJ: number;
  energyBasis: PerInferenceBasis;
  chargerEfficiency: number;
  /** The battery's self-discharge averaged over the device's life, W (recharged from the grid; 0 without a battery). */
  selfDischargeW?: number;
  grid: GridFactor;
  /** TE: the device's lifetime hardware footprint (every stage but use and training). */
  hardwareKgCO2e: number;
  /** The training share of this device, reported beside SCI (not part of M). */
  trainingKgCO2e: number;
  /** EL, seconds. */
  lifetimeS: number;
  /** R's rate: inferences per second of the device's life, measured or given. */
  inferencesPerS: number;
  rateBasis: 'measured' | 'given';
}

export interface SciPerInference {
  functionalUnit: 'inference';
  E: {
    energyPerInferenceJ: number;
    basis: PerInferenceBasis;
    selfDischargeJPerInference: number;
    chargerEfficiency: number;
    gridEnergyPerInferenceKWh: number;
  };
  I: { gridId: string; kgCO2ePerKWh: number; provenance: Provenance };
  M: {
    /** TE */
    hardwareKgCO2e: number;
    /** TiR: seconds of the device's life one inference reserves (1 / rate). */
    timeReservedS: number;
    /** EL */
    expectedLifespanS: number;
    /** RR / ToR: the share of the device's resources reserved (1: the device runs only this model). */
    resourceShare: number;
    kgCO2ePerInference: number;
  };
  R: { inferencesPerS: number; basis: 'measured' | 'given'; lifetimeInferences: number };
  /** E · I per R */
  operationalKgCO2ePerInference: number;
  /** SCI: (E · I + M) per R */
  kgCO2ePerInference: number;
  /** Not part of SCI (training is another workload's emissions), shown for comparison. */
  trainingKgCO2ePerInference: number;
}

/** Null when the rate or the lifetime is not positive (no inferences: no functional unit). */
export function sciPerInference(input: SciInput): SciPerInference | null {
  if (!(input.inferencesPerS > 0) || !(input.lifetimeS > 0)) return null;
  const selfDischargeJPerInference = (input.selfDischargeW ?? 0) / input.inferencesPerS;
  const gridEnergyPerInferenceKWh = (input.energyPerInferenceJ + selfDischargeJPerInference) / input.chargerEfficiency / JOULES_PER_WH / WH_PER_KWH;
  const operationalKgCO2ePerInference = gridEnergyPerInferenceKWh * input.grid.kgCO2ePerKWh;
  const timeReservedS = 1 / input.inferencesPerS;
  const resourceShare = 1;
  const embodiedKgCO2ePerInference = input.hardwareKgCO2e * (timeReservedS / input.lifetimeS) * resourceShare;
  const lifetimeInferences = input.inferencesPerS * input.lifetimeS;
  return {
    functionalUnit: 'inference',
    E: {
      energyPerInferenceJ: input.energyPerInferenceJ,
      basis: input.energyBasis,
      selfDischargeJPerInference,
      chargerEfficiency: input.chargerEfficiency,
      gridEnergyPerInferenceKWh,
    },
    I: { gridId: input.grid.id, kgCO2ePerKWh: input.grid.kgCO2ePerKWh, provenance: input.grid.provenance },
    M: {
      hardwareKgCO2e: input.hardwareKgCO2e,
      timeReservedS,
      expectedLifespanS: input.lifetimeS,
      resourceShare,
      kgCO2ePerInference: embodiedKgCO2ePerInference,
    },
    R: { inferencesPerS: input.inferencesPerS, basis: input.rateBasis, lifetimeInferences },
    operationalKgCO2ePerInference,
    kgCO2ePerInference: operationalKgCO2ePerInference + embodiedKgCO2ePerInference,
    trainingKgCO2ePerInference: input.trainingKgCO2e / lifetimeInferences,
  };
}
