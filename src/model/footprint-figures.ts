import { ValidationError } from '../domain/errors.js';
import type { Scenario } from '../domain/types.js';
import { batteryOutcome, type BatteryParams } from './battery.js';
import { batteryParams } from './battery-stage.js';
import type { Catalogue, Range } from './catalogue-types.js';
import { computeFootprint, type Accrued, type FootprintInput } from './footprint.js';
import { consistentTotalRange } from './lifecycle-stages.js';
import { pick, scaleRange } from './range.js';
import { resolveSystem } from './system.js';
import { resolveTraining } from './training.js';
import { joulesToWh, yearsToSeconds } from './units.js';
import { useStage } from './use-stage.js';
import { validatePowerW } from './validate-input.js';

const SCENARIOS: readonly Scenario[] = ['min', 'typical', 'max'];

/**
 * What a fleet row needs of one spec, resolved once for every device that shares it: the system, training and
 * battery per scenario, and the figures at the seed's assumed power (they do not depend on the device).
 */
export interface FigurePlan {
  readonly input: Omit<FootprintInput, 'power' | 'elapsedS'>;
  readonly lifetimeS: number;
  readonly scenario: Scenario;
  readonly secondsPerYear: number;
  readonly training: Range;
  /** 0 + training + every block at the system's scenario, summed in the order lifecycleStages sums its stages. */
  readonly upfrontKgCO2e: number;
  /** Each scenario's block sum, as lifecycleStages' coupled totals start. */
  readonly blocksByScenario: Readonly<Record<Scenario, number>>;
  readonly battery: Readonly<Record<Scenario, BatteryParams>> | null;
  readonly endOfLifeKgCO2e: number;
  readonly endOfLifeMaxShare: number;
  readonly assumedTotalKgCO2e: number;
}

/** The lifetime figures of a fleet row: the same numbers computeFootprint gives, without the stages' text. */
export interface LifetimeFigures {
  totalKgCO2e: number;
  totalRange: Range;
  useKgCO2e: number;
  batteryReplacements: number;
}

/**
 * Resolve a spec for fast figures. Throws the model's ValidationError exactly when computeFootprint would for this
 * spec (it runs once, at the seed's assumed power, and gives the assumed comparison).
 */
export function planFigures(catalogue: Catalogue, input: Omit<FootprintInput, 'power' | 'elapsedS'>): FigurePlan {
  const assumed = computeFootprint(catalogue, { ...input, power: { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW } });
  const system = resolveSystem(catalogue, input.system);
  const training = resolveTraining(catalogue, input.training ?? system.defaultTraining);
  const trainingPerDevice = scaleRange(training.runKgCO2e, 1 / input.trainingDevices);
  let upfront = 0 + trainingPerDevice.typical;
  for (const entry of system.blocks) upfront += pick(entry.range, system.scenario);
  const blocksByScenario = Object.fromEntries(
    SCENARIOS.map((scenario) => [scenario, system.blocks.reduce((sum, entry) => sum + pick(entry.range, scenario), 0)]),
  ) as Record<Scenario, number>;
  const hasBattery = batteryParams(catalogue, system, input.battery, system.scenario) !== null;
  const battery = hasBattery
    ? (Object.fromEntries(SCENARIOS.map((scenario) => [scenario, batteryParams(catalogue, system, input.battery, scenario)!])) as Record<
        Scenario,
        BatteryParams
      >)
    : null;
  return {
    input,
    lifetimeS: yearsToSeconds(input.lifetimeYears, catalogue.assumptions.secondsPerYear),
    scenario: system.scenario,
    secondsPerYear: catalogue.assumptions.secondsPerYear,
    training: trainingPerDevice,
    upfrontKgCO2e: upfront,
    blocksByScenario,
    battery,
    endOfLifeKgCO2e: catalogue.assumptions.endOfLifeKgCO2e,
    endOfLifeMaxShare: catalogue.assumptions.endOfLifeMaxShare,
    assumedTotalKgCO2e: assumed.comparison.assumed.totalKgCO2e,
  };
}

interface PeriodFigures extends LifetimeFigures {
  batteryKgCO2e: number;
}

/** lifecycleStages' numbers over `periodS` at `powerW`, composed from the same model functions in the same order. */
function periodFigures(plan: FigurePlan, powerW: number, periodS: number): PeriodFigures {
  const deviceEnergyWh = joulesToWh(powerW * periodS);
  const replacementKg = { min: 0, typical: 0, max: 0 };
  const useKg = { min: 0, typical: 0, max: 0 };
  let replacements = 0;
  for (const scenario of SCENARIOS) {
    const params = plan.battery?.[scenario];
    const outcome = params === undefined ? null : batteryOutcome(params, deviceEnergyWh, periodS, powerW, plan.secondsPerYear);
    if (outcome !== null) {
      replacementKg[scenario] = outcome.replacementKgCO2e;
      if (scenario === plan.scenario) replacements = outcome.replacements;
    }
    useKg[scenario] = useStage(powerW, periodS, plan.input.chargerEfficiency, plan.input.grid, outcome?.selfDischargeWh ?? 0).kgCO2e;
  }
  const coupled = Object.fromEntries(
    SCENARIOS.map((scenario) => [scenario, plan.blocksByScenario[scenario] + (plan.battery === null ? 0 : replacementKg[scenario]) + useKg[scenario]]),
  ) as Record<Scenario, number>;
  const ranges = consistentTotalRange(coupled, plan.training, plan.endOfLifeKgCO2e, plan.endOfLifeMaxShare);
  const batteryKgCO2e = replacementKg[plan.scenario];
  const beforeUse = plan.battery === null ? plan.upfrontKgCO2e : plan.upfrontKgCO2e + batteryKgCO2e;
  return {
    totalKgCO2e: beforeUse + useKg[plan.scenario] + plan.endOfLifeKgCO2e,
    totalRange: ranges.total,
    useKgCO2e: useKg[plan.scenario],
    batteryReplacements: replacements,
    batteryKgCO2e,
  };
}

/**
 * The lifetime figures at `powerW` (W); ValidationError for a power computeFootprint would refuse. Only the power is
 * checked: planFigures validated every other field (the power is checked first, so the message is the same).
 */
export function lifetimeFigures(plan: FigurePlan, powerW: number): LifetimeFigures {
  validatePowerW(powerW);
  const { batteryKgCO2e: _battery, ...figures } = periodFigures(plan, powerW, plan.lifetimeS);
  if (!Number.isFinite(figures.totalKgCO2e) || !Number.isFinite(figures.totalRange.max)) {
    throw new ValidationError('the inputs give a footprint too large to represent: check units and extremes');
  }
  return figures;
}

/** computeFootprint's `accrued.kgCO2e` after `elapsedS` of deployment at `powerW`. */
export function accruedKgCO2e(plan: FigurePlan, powerW: number, elapsedS: number): number {
  return accruedFigures(plan, powerW, elapsedS).kgCO2e;
}

/** computeFootprint's `accrued` after `elapsedS` (≥ 0) of deployment at `powerW`. */
export function accruedFigures(plan: FigurePlan, powerW: number, elapsedS: number): Accrued {
  const periodS = Math.min(Math.max(0, elapsedS), plan.lifetimeS);
  const toDate = periodFigures(plan, powerW, periodS);
  return {
    elapsedS: periodS,
    fractionOfLifetime: periodS / plan.lifetimeS,
    useKgCO2e: toDate.useKgCO2e,
    batteryReplacements: plan.battery === null ? 0 : toDate.batteryReplacements,
    upfrontKgCO2e: plan.upfrontKgCO2e,
    kgCO2e: plan.upfrontKgCO2e + toDate.batteryKgCO2e + toDate.useKgCO2e,
  };
}
