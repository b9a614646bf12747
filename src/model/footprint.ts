import { ValidationError } from '../domain/errors.js';
import { assumptionNotes } from './assumption-notes.js';
import type { Catalogue, Range, StageGroup } from './catalogue-types.js';
import type { Accrued, FootprintInput, FootprintResult, PowerInput, PowerSummary, Stage } from './footprint-types.js';
import { lifecycleStages, type LifecycleStages } from './lifecycle-stages.js';
import { scaleRange } from './range.js';
import { resolveSystem, type ResolvedSystem } from './system.js';
import { resolveTraining, type ResolvedTraining } from './training.js';
import { yearsToSeconds } from './units.js';
import { validateBatteryAgeing } from './validate-battery.js';
import { validateElapsedS, validateFootprintInput, validatePowerW } from './validate-input.js';

export type { Accrued, FootprintInput, FootprintResult, PowerInput, PowerSummary, Stage } from './footprint-types.js';

/** The result's `power`: what the power is and where it comes from. */
export function powerSummary(catalogue: Catalogue, power: PowerInput): PowerSummary {
  if (power.kind === 'assumed') {
    return { kind: 'assumed', powerW: power.powerW, observedS: null, samples: null, windows: null, provenance: catalogue.assumptions.assumedPowerProvenance };
  }
  if (power.kind === 'given') {
    return {
      kind: 'given',
      powerW: power.powerW,
      observedS: null,
      samples: null,
      windows: null,
      provenance: { dataset: 'user', kind: 'user', citation: 'average power given by the user' },
    };
  }
  return {
    kind: 'measured',
    powerW: power.powerW,
    observedS: power.observedS,
    samples: power.samples,
    windows: power.windows,
    provenance: { dataset: 'measurements', kind: 'measured', citation: `average of ${power.windows} energy windows over ${power.observedS} s observed` },
  };
}

function sumByGroup(stages: readonly Stage[]): Record<StageGroup, number> {
  const byGroup: Record<StageGroup, number> = { training: 0, embodied: 0, transport: 0, use: 0, 'end-of-life': 0 };
  for (const stage of stages) byGroup[stage.group] += stage.kgCO2e;
  return byGroup;
}

/**
 * What a footprint needs of its spec alone (everything but the power and the time since deployment), resolved once
 * and shared by every footprint of the spec: the system, the training share, the lifetime, and the stages at the
 * seed's assumed power (the comparison). A FootprintPlan is immutable once built.
 */
export interface FootprintPlan {
  readonly input: Omit<FootprintInput, 'power' | 'elapsedS'>;
  readonly system: ResolvedSystem;
  readonly training: ResolvedTraining;
  readonly trainingPerDevice: Range;
  readonly trainingStage: Omit<Stage, 'kgCO2e' | 'range' | 'share'>;
  readonly lifetimeS: number;
  /** The stages at the seed's assumed power (comparison.assumed). */
  readonly assumed: LifecycleStages;
}

/**
 * Resolve a spec once. Throws the model's ValidationError exactly when computeFootprint would for this spec at the
 * seed's assumed power (computeFootprint checks the power first, so a spec's message is the same).
 */
export function planFootprint(catalogue: Catalogue, input: Omit<FootprintInput, 'power' | 'elapsedS'>): FootprintPlan {
  const assumedPowerW = catalogue.assumptions.assumedPowerW;
  validateFootprintInput({ ...input, power: { kind: 'assumed', powerW: assumedPowerW } });
  validateBatteryAgeing(input.battery);
  const system = resolveSystem(catalogue, input.system);
  const training = resolveTraining(catalogue, input.training ?? system.defaultTraining);
  const trainingPerDevice = scaleRange(training.runKgCO2e, 1 / input.trainingDevices);
  const trainingStage = { id: 'training', label: 'ML training', group: 'training' as const, level: null, provenance: training.provenance };
  const lifetimeS = yearsToSeconds(input.lifetimeYears, catalogue.assumptions.secondsPerYear);
  const fullInput: FootprintInput = { ...input, power: { kind: 'assumed', powerW: assumedPowerW } };
  const assumed = lifecycleStages(catalogue, system, fullInput, trainingPerDevice, trainingStage, lifetimeS, assumedPowerW);
  return { input, system, training, trainingPerDevice, trainingStage, lifetimeS, assumed };
}

/**
 * Lifetime footprint of one TinyML device: training share + embodied blocks + transport + battery replacements +
 * use stage + end of life, each with its range and provenance. Pure: every factor comes in through the arguments.
 */
export function computeFootprint(catalogue: Catalogue, input: FootprintInput): FootprintResult {
  validateFootprintInput(input);
  validateBatteryAgeing(input.battery);
  const { power, elapsedS, ...spec } = input;
  return footprintFromPlan(catalogue, planFootprint(catalogue, spec), power, elapsedS);
}

/** computeFootprint for a planned spec: only the power (and the time since deployment) is checked here. */
export function footprintFromPlan(catalogue: Catalogue, plan: FootprintPlan, power: PowerInput, elapsedSInput?: number): FootprintResult {
  validatePowerW(power.powerW);
  if (elapsedSInput !== undefined) validateElapsedS(elapsedSInput);
  const { system, training, trainingPerDevice, trainingStage, lifetimeS } = plan;
  const input: FootprintInput = { ...plan.input, power, ...(elapsedSInput === undefined ? {} : { elapsedS: elapsedSInput }) };
  const main = lifecycleStages(catalogue, system, input, trainingPerDevice, trainingStage, lifetimeS, input.power.powerW);
  if (!Number.isFinite(main.totalKgCO2e) || !Number.isFinite(main.totalRange.max)) {
    // Every input is bounded, so this guards combinations of extremes: never answer Infinity or NaN.
    throw new ValidationError('the inputs give a footprint too large to represent: check units and extremes');
  }
  const assumedPowerW = catalogue.assumptions.assumedPowerW;
  const assumed = plan.assumed;

  const assumptions = assumptionNotes(catalogue, input, training.runKgCO2e.typical, main.battery);

  let accrued: Accrued | null = null;
  if (input.elapsedS !== undefined) {
    const elapsedS = Math.min(input.elapsedS, lifetimeS);
    const toDate = lifecycleStages(catalogue, system, input, trainingPerDevice, trainingStage, elapsedS, input.power.powerW);
    const upfront = toDate.stages.filter((stage) => stage.group !== 'use' && stage.id !== 'battery-replacements' && stage.id !== 'end-of-life');
    const upfrontKgCO2e = upfront.reduce((sum, stage) => sum + stage.kgCO2e, 0);
    const batteryKg = toDate.battery?.replacementKgCO2e ?? 0;
    accrued = {
      elapsedS,
      fractionOfLifetime: elapsedS / lifetimeS,
      useKgCO2e: toDate.use.kgCO2e,
      batteryReplacements: toDate.battery?.replacements ?? 0,
      upfrontKgCO2e,
      kgCO2e: upfrontKgCO2e + batteryKg + toDate.use.kgCO2e,
    };
  }

  return {
    system: { id: system.id, label: system.label, scenario: system.scenario, isCustom: system.isCustom },
    lifetimeYears: input.lifetimeYears,
    lifetimeS,
    power: powerSummary(catalogue, input.power),
    grid: input.grid,
    training: {
      id: training.id,
      label: training.label,
      runKgCO2e: training.runKgCO2e.typical,
      devices: input.trainingDevices,
      kgCO2e: trainingPerDevice.typical,
      provenance: training.provenance,
    },
    stages: main.stages,
    totalKgCO2e: main.totalKgCO2e,
    totalRange: main.totalRange,
    byGroup: sumByGroup(main.stages),
    use: main.use,
    battery: main.battery,
    assumptions,
    comparison: {
      assumed: {
        powerW: assumedPowerW,
        useKgCO2e: assumed.use.kgCO2e,
        totalKgCO2e: assumed.totalKgCO2e,
        batteryReplacements: assumed.battery?.replacements ?? 0,
      },
      referenceDevices: catalogue.referenceDevices.map((device) => ({
        id: device.id,
        label: device.label,
        kgCO2e: device.kgCO2e,
        ratio: main.totalKgCO2e / device.kgCO2e,
        provenance: device.provenance,
      })),
    },
    accrued,
  };
}
