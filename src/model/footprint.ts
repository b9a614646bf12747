import { ValidationError } from '../domain/errors.js';
import type { BatteryInput, Scenario, SystemChoice } from '../domain/types.js';
import { batteryOutcome, type BatteryOutcome } from './battery.js';
import type { Catalogue, GridFactor, Provenance, Range, StageGroup } from './catalogue-types.js';
import { MAX_BATTERY_WH, MAX_CYCLE_LIFE, MAX_CUSTOM_KG, MAX_LIFETIME_YEARS, MAX_POWER_W, MAX_TRAINING_DEVICES } from './limits.js';
import { addRanges, pick, pointRange, scaleRange, ZERO_RANGE } from './range.js';
import { resolveSystem, type ResolvedSystem } from './system.js';
import { resolveTraining } from './training.js';
import { useStage, type UseStage } from './use-stage.js';
import { yearsToSeconds } from './units.js';

export type PowerInput =
  | { kind: 'assumed'; powerW: number }
  /** A figure the user supplies (measured elsewhere): neither the seed's assumption nor our measurement. */
  | { kind: 'given'; powerW: number }
  | { kind: 'measured'; powerW: number; observedS: number; samples: number; windows: number };

export interface FootprintInput {
  system: SystemChoice;
  /** Training choice; default: the system preset's (the seed's DenseNet upper bound). */
  training?: string;
  trainingDevices: number;
  lifetimeYears: number;
  grid: GridFactor;
  chargerEfficiency: number;
  battery?: BatteryInput;
  power: PowerInput;
  /** Seconds since deployment, for a deployed device's footprint to date. */
  elapsedS?: number;
}

export interface Stage {
  id: string;
  label: string;
  group: StageGroup;
  /** The value at the system's scenario (the seed's column). */
  kgCO2e: number;
  range: Range;
  /** Share of the total, 0..1. */
  share: number;
  level: number | null;
  provenance: Provenance;
}

export interface PowerSummary {
  kind: 'assumed' | 'given' | 'measured';
  powerW: number;
  observedS: number | null;
  samples: number | null;
  windows: number | null;
  provenance: Provenance;
}

export interface Accrued {
  elapsedS: number;
  fractionOfLifetime: number;
  kgCO2e: number;
  useKgCO2e: number;
  batteryReplacements: number;
  /** Hardware, transport and training are incurred before deployment: all of them count from day one. */
  upfrontKgCO2e: number;
}

export interface FootprintResult {
  system: { id: string; label: string; scenario: Scenario; isCustom: boolean };
  lifetimeYears: number;
  lifetimeS: number;
  power: PowerSummary;
  grid: GridFactor;
  training: { id: string; label: string; runKgCO2e: number; devices: number; kgCO2e: number; provenance: Provenance };
  stages: Stage[];
  totalKgCO2e: number;
  totalRange: Range;
  byGroup: Record<StageGroup, number>;
  use: UseStage;
  battery: BatteryOutcome | null;
  assumptions: string[];
  comparison: {
    assumed: { powerW: number; useKgCO2e: number; totalKgCO2e: number; batteryReplacements: number };
    referenceDevices: { id: string; label: string; kgCO2e: number; ratio: number; provenance: Provenance }[];
  };
  accrued: Accrued | null;
}

function requireFinite(name: string, value: number, min: number, max: number, exclusiveMin = false): void {
  const tooLow = exclusiveMin ? value <= min : value < min;
  if (!Number.isFinite(value) || tooLow || value > max) {
    throw new ValidationError(`${name} must be a finite number in ${exclusiveMin ? '(' : '['}${min}, ${max}], got ${String(value)}`);
  }
}

function validate(input: FootprintInput): void {
  requireFinite('power (W)', input.power.powerW, 0, MAX_POWER_W);
  requireFinite('lifetimeYears', input.lifetimeYears, 0, MAX_LIFETIME_YEARS, true);
  requireFinite('trainingDevices', input.trainingDevices, 1, MAX_TRAINING_DEVICES);
  requireFinite('chargerEfficiency', input.chargerEfficiency, 0, 1, true);
  requireFinite('grid (kg CO2e/kWh)', input.grid.kgCO2ePerKWh, 0, Number.MAX_VALUE);
  if (input.battery?.capacityWh !== undefined) requireFinite('battery.capacityWh', input.battery.capacityWh, 0, MAX_BATTERY_WH, true);
  if (input.battery?.cycleLife !== undefined) requireFinite('battery.cycleLife', input.battery.cycleLife, 0, MAX_CYCLE_LIFE, true);
  if (input.battery?.packKgCO2e !== undefined) requireFinite('battery.packKgCO2e', input.battery.packKgCO2e, 0, MAX_CUSTOM_KG);
  if (input.elapsedS !== undefined) requireFinite('elapsedS', input.elapsedS, 0, Number.MAX_VALUE);
}

function batteryParams(catalogue: Catalogue, system: ResolvedSystem, input: BatteryInput | undefined) {
  const power = system.blocks.find((entry) => entry.block.id === 'power-supply');
  const isBattery = power?.level?.isBattery === true || input?.capacityWh !== undefined;
  if (power === undefined || !isBattery) return null;
  const capacityWh = input?.capacityWh ?? (power.level?.batteryCapacityWh ? pick(power.level.batteryCapacityWh, system.scenario) : undefined);
  if (capacityWh === undefined) {
    throw new ValidationError('battery.capacityWh is required for a power supply given as a custom value');
  }
  const isDefault = input?.capacityWh === undefined && input?.cycleLife === undefined && input?.packKgCO2e === undefined;
  return {
    capacityWh,
    cycleLife: input?.cycleLife ?? catalogue.assumptions.batteryCycleLife,
    packKgCO2e: input?.packKgCO2e ?? pick(power.range, system.scenario),
    provenance: isDefault
      ? catalogue.assumptions.batteryProvenance
      : { dataset: 'user', kind: 'user' as const, citation: 'battery parameters given by the user', note: catalogue.assumptions.batteryProvenance.citation },
  };
}

function powerSummary(catalogue: Catalogue, power: PowerInput): PowerSummary {
  if (power.kind === 'assumed') {
    return { kind: 'assumed', powerW: power.powerW, observedS: null, samples: null, windows: null, provenance: catalogue.assumptions.assumedPowerProvenance };
  }
  if (power.kind === 'given') {
    return { kind: 'given', powerW: power.powerW, observedS: null, samples: null, windows: null, provenance: { dataset: 'user', kind: 'user', citation: 'average power given by the user' } };
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

interface CoreResult {
  stages: Stage[];
  totalKgCO2e: number;
  totalRange: Range;
  use: UseStage;
  battery: BatteryOutcome | null;
}

function core(catalogue: Catalogue, system: ResolvedSystem, input: FootprintInput, trainingPerDevice: Range, trainingStage: Omit<Stage, 'kgCO2e' | 'range' | 'share'>, periodS: number, powerW: number): CoreResult {
  const stages: Omit<Stage, 'share'>[] = [];
  stages.push({ ...trainingStage, kgCO2e: pick(trainingPerDevice, system.scenario), range: trainingPerDevice });
  for (const entry of system.blocks) {
    stages.push({
      id: entry.block.id,
      label: entry.block.label,
      group: entry.block.group,
      kgCO2e: pick(entry.range, system.scenario),
      range: entry.range,
      level: entry.levelNumber,
      provenance: entry.provenance,
    });
  }
  const use = useStage(powerW, periodS, input.chargerEfficiency, input.grid);
  const params = batteryParams(catalogue, system, input.battery);
  const battery = params === null ? null : batteryOutcome(params, use.deviceEnergyWh, powerW);
  if (battery !== null) {
    const powerRange = system.blocks.find((entry) => entry.block.id === 'power-supply')?.range ?? ZERO_RANGE;
    const packRange = input.battery?.packKgCO2e !== undefined ? pointRange(input.battery.packKgCO2e) : powerRange;
    stages.push({
      id: 'battery-replacements',
      label: 'Battery replacements',
      group: 'embodied',
      kgCO2e: battery.replacementKgCO2e,
      range: scaleRange(packRange, battery.replacements),
      level: null,
      provenance: { ...battery.provenance, note: `${battery.replacements} pack(s) past ${battery.cycleLife} cycles; ${battery.recharges.toFixed(1)} recharges of ${battery.capacityWh} Wh` },
    });
  }
  stages.push({ id: 'use', label: 'Use stage', group: 'use', kgCO2e: use.kgCO2e, range: pointRange(use.kgCO2e), level: null, provenance: input.grid.provenance });
  const beforeEndOfLife = stages.reduce((sum, stage) => addRanges(sum, stage.range), ZERO_RANGE);
  const endOfLifeKg = catalogue.assumptions.endOfLifeKgCO2e;
  stages.push({
    id: 'end-of-life',
    label: 'End of life',
    group: 'end-of-life',
    kgCO2e: endOfLifeKg,
    range: { min: endOfLifeKg, typical: endOfLifeKg, max: endOfLifeKg + beforeEndOfLife.max * catalogue.assumptions.endOfLifeMaxShare },
    level: null,
    provenance: catalogue.assumptions.endOfLifeProvenance,
  });
  const totalKgCO2e = stages.reduce((sum, stage) => sum + stage.kgCO2e, 0);
  const totalRange = stages.reduce((sum, stage) => addRanges(sum, stage.range), ZERO_RANGE);
  return {
    stages: stages.map((stage) => ({ ...stage, share: totalKgCO2e > 0 ? stage.kgCO2e / totalKgCO2e : 0 })),
    totalKgCO2e,
    totalRange,
    use,
    battery,
  };
}

/** Display only: 6 significant digits hides binary float noise (27.200000000000003). */
function milliwatts(powerW: number): number {
  return Number((powerW * 1000).toPrecision(6));
}

function sumByGroup(stages: readonly Stage[]): Record<StageGroup, number> {
  const byGroup: Record<StageGroup, number> = { training: 0, embodied: 0, transport: 0, use: 0, 'end-of-life': 0 };
  for (const stage of stages) byGroup[stage.group] += stage.kgCO2e;
  return byGroup;
}

/**
 * Lifetime footprint of one TinyML device: training share + embodied blocks + transport + battery replacements +
 * use stage + end of life, each with its range and provenance. Pure: every factor comes in through the arguments.
 */
export function computeFootprint(catalogue: Catalogue, input: FootprintInput): FootprintResult {
  validate(input);
  const system = resolveSystem(catalogue, input.system);
  const training = resolveTraining(catalogue, input.training ?? system.defaultTraining);
  const trainingPerDevice = scaleRange(training.runKgCO2e, 1 / input.trainingDevices);
  const trainingStage = { id: 'training', label: 'ML training', group: 'training' as const, level: null, provenance: training.provenance };
  const lifetimeS = yearsToSeconds(input.lifetimeYears, catalogue.assumptions.secondsPerYear);

  const main = core(catalogue, system, input, trainingPerDevice, trainingStage, lifetimeS, input.power.powerW);
  const assumedPowerW = catalogue.assumptions.assumedPowerW;
  const assumed = input.power.kind === 'assumed' && input.power.powerW === assumedPowerW
    ? main
    : core(catalogue, system, input, trainingPerDevice, trainingStage, lifetimeS, assumedPowerW);

  const assumptions: string[] = [];
  if (input.power.kind === 'assumed') {
    assumptions.push(`power assumed at ${milliwatts(input.power.powerW)} mW continuous (not measured)`);
  } else if (input.power.kind === 'given') {
    assumptions.push(`power given by the user: ${milliwatts(input.power.powerW)} mW continuous (not measured by this service)`);
  }
  if (input.trainingDevices === 1 && training.runKgCO2e.typical > 0) {
    assumptions.push('the whole training run is charged to this one device (the seed\'s upper bound)');
  }
  if (main.battery !== null && input.battery?.cycleLife === undefined) {
    assumptions.push(`battery cycle life ${main.battery.cycleLife} cycles (assumed)`);
  }
  if (input.chargerEfficiency === 1) assumptions.push('charger efficiency 1 (no charging loss), as the seed');
  assumptions.push('end of life counted as 0 (negligible, < 1 %); its range goes to 1 % of the total');

  let accrued: Accrued | null = null;
  if (input.elapsedS !== undefined) {
    const elapsedS = Math.min(input.elapsedS, lifetimeS);
    const toDate = core(catalogue, system, input, trainingPerDevice, trainingStage, elapsedS, input.power.powerW);
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
      runKgCO2e: pick(training.runKgCO2e, system.scenario),
      devices: input.trainingDevices,
      kgCO2e: pick(trainingPerDevice, system.scenario),
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
