import type { Scenario } from '../domain/types.js';
import { ValidationError } from '../domain/errors.js';
import { assumptionNotes } from '../model/assumption-notes.js';
import { batteryOutcome, type BatteryOutcome, type BatteryParams } from '../model/battery.js';
import { batteryParams, type BatteryStage } from '../model/battery-stage.js';
import type { Catalogue, Range, StageGroup } from '../model/catalogue-types.js';
import { powerSummary, type FootprintPlan, type PowerInput, type PowerSummary, type Stage } from '../model/footprint.js';
import { batteryNote, consistentTotalRange } from '../model/lifecycle-stages.js';
import { pick } from '../model/range.js';
import { joulesToWh } from '../model/units.js';
import { useStage, type UseStage } from '../model/use-stage.js';
import { validatePowerW } from '../model/validate-input.js';

const SCENARIOS: readonly Scenario[] = ['min', 'typical', 'max'];

/** A stage after the blocks (battery replacements, use, end of life) without its share. */
export type LaterStage = Omit<Stage, 'share'>;

/**
 * What of a planned spec's lifetime footprint moves with the power: the values footprintFromPlan computes, equal bit for
 * bit, without the result's other objects (the training and block stages, the comparison's references, the spec's parts).
 */
export interface PowerParts {
  power: PowerSummary;
  totalKgCO2e: number;
  totalRange: Range;
  byGroup: Record<StageGroup, number>;
  use: UseStage;
  battery: BatteryOutcome | null;
  assumptions: string[];
  /** The stages after the training share and the blocks, in the result's order. */
  later: LaterStage[];
}

/**
 * A spec's power-independent sums, resolved once, and the power-dependent parts of its footprint at any power. Each
 * step is lifecycleStages' and footprintFromPlan's, in their order (float sums are not associative), composed from
 * the same model functions: the battery outcomes, the use stage, the range of the total, the notes. What the model
 * builds but the power does not change (the block stages, the reference devices) is not built here.
 * test/service/footprint-power.test.ts compares every part with footprintFromPlan's at many powers and specs, and a
 * FootprintTemplate checks the parts against the model when it is built (footprint-template.ts).
 */
export class PowerPlan {
  /** kgCO2e of the training share and of each block at the system's scenario, in stage order. */
  readonly constantKg: readonly number[];
  /** 0 + every constant stage's kgCO2e, in stage order (lifecycleStages' total starts so). */
  private readonly upfrontKgCO2e: number;
  /** sumByGroup's sums after the constant stages. */
  private readonly groupBase: Readonly<Record<StageGroup, number>>;
  private readonly blocksByScenario: Readonly<Record<Scenario, number>>;
  private readonly battery: Readonly<Record<Scenario, BatteryParams>> | null;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly plan: FootprintPlan,
  ) {
    const { system, trainingPerDevice } = plan;
    const constantKg = [trainingPerDevice.typical];
    const groupBase: Record<StageGroup, number> = { training: 0, embodied: 0, transport: 0, use: 0, 'end-of-life': 0 };
    groupBase.training += trainingPerDevice.typical;
    for (const entry of system.blocks) {
      const kg = pick(entry.range, system.scenario);
      constantKg.push(kg);
      groupBase[entry.block.group] += kg;
    }
    let upfront = 0;
    for (const kg of constantKg) upfront += kg;
    this.constantKg = constantKg;
    this.upfrontKgCO2e = upfront;
    this.groupBase = groupBase;
    this.blocksByScenario = {
      min: system.blocks.reduce((sum, entry) => sum + pick(entry.range, 'min'), 0),
      typical: system.blocks.reduce((sum, entry) => sum + pick(entry.range, 'typical'), 0),
      max: system.blocks.reduce((sum, entry) => sum + pick(entry.range, 'max'), 0),
    };
    const input = plan.input;
    this.battery =
      batteryParams(catalogue, system, input.battery, system.scenario) === null
        ? null
        : {
            min: batteryParams(catalogue, system, input.battery, 'min')!,
            typical: batteryParams(catalogue, system, input.battery, 'typical')!,
            max: batteryParams(catalogue, system, input.battery, 'max')!,
          };
  }

  /** The parts at `power` over the lifetime; the model's ValidationError where footprintFromPlan throws one. */
  parts(power: PowerInput): PowerParts {
    validatePowerW(power.powerW);
    const { catalogue, plan } = this;
    const { system, lifetimeS: periodS } = plan;
    const powerW = power.powerW;
    const input = plan.input;
    const deviceEnergyWh = joulesToWh(powerW * periodS);
    const packs = this.battery === null ? null : packsAt(this.battery, system.scenario, deviceEnergyWh, periodS, powerW, catalogue.assumptions.secondsPerYear);
    const battery = packs?.outcome ?? null;
    const useMin = useStage(powerW, periodS, input.chargerEfficiency, input.grid, packs?.byScenario.min.selfDischargeWh ?? 0);
    const useTypical = useStage(powerW, periodS, input.chargerEfficiency, input.grid, packs?.byScenario.typical.selfDischargeWh ?? 0);
    const useMax = useStage(powerW, periodS, input.chargerEfficiency, input.grid, packs?.byScenario.max.selfDischargeWh ?? 0);
    const useByScenario: Record<Scenario, UseStage> = { min: useMin, typical: useTypical, max: useMax };
    const use = useByScenario[system.scenario];
    const later: LaterStage[] = [];
    const byGroup = { ...this.groupBase };
    let totalKgCO2e = this.upfrontKgCO2e;
    if (packs !== null && battery !== null) {
      later.push({
        id: 'battery-replacements',
        label: 'Battery replacements',
        group: 'embodied',
        kgCO2e: battery.replacementKgCO2e,
        range: packs.range,
        level: null,
        provenance: { ...battery.provenance, note: batteryNote(packs) },
      });
      totalKgCO2e += battery.replacementKgCO2e;
      byGroup.embodied += battery.replacementKgCO2e;
    }
    later.push({
      id: 'use',
      label: 'Use stage',
      group: 'use',
      kgCO2e: use.kgCO2e,
      range: {
        min: Math.min(useMin.kgCO2e, useTypical.kgCO2e, useMax.kgCO2e),
        typical: useTypical.kgCO2e,
        max: Math.max(useMin.kgCO2e, useTypical.kgCO2e, useMax.kgCO2e),
      },
      level: null,
      provenance: input.grid.provenance,
    });
    totalKgCO2e += use.kgCO2e;
    byGroup.use += use.kgCO2e;
    const coupled = (scenario: Scenario): number =>
      this.blocksByScenario[scenario] + (packs?.byScenario[scenario].replacementKgCO2e ?? 0) + useByScenario[scenario].kgCO2e;
    const endOfLifeKg = catalogue.assumptions.endOfLifeKgCO2e;
    const ranges = consistentTotalRange(
      { min: coupled('min'), typical: coupled('typical'), max: coupled('max') },
      plan.trainingPerDevice,
      endOfLifeKg,
      catalogue.assumptions.endOfLifeMaxShare,
    );
    later.push({
      id: 'end-of-life',
      label: 'End of life',
      group: 'end-of-life',
      kgCO2e: endOfLifeKg,
      range: ranges.endOfLife,
      level: null,
      provenance: catalogue.assumptions.endOfLifeProvenance,
    });
    totalKgCO2e += endOfLifeKg;
    byGroup['end-of-life'] += endOfLifeKg;
    if (!Number.isFinite(totalKgCO2e) || !Number.isFinite(ranges.total.max)) {
      throw new ValidationError('the inputs give a footprint too large to represent: check units and extremes');
    }
    return {
      power: powerSummary(catalogue, power),
      totalKgCO2e,
      totalRange: ranges.total,
      byGroup,
      use,
      battery,
      assumptions: assumptionNotes(catalogue, { ...input, power }, plan.training.runKgCO2e.typical, battery),
      later,
    };
  }
}

/** batteryStage's packs from the spec's resolved parameters per scenario. */
function packsAt(
  params: Readonly<Record<Scenario, BatteryParams>>,
  scenario: Scenario,
  deviceEnergyWh: number,
  periodS: number,
  powerW: number,
  secondsPerYear: number,
): BatteryStage {
  const byScenario: Record<Scenario, BatteryOutcome> = {
    min: batteryOutcome(params.min, deviceEnergyWh, periodS, powerW, secondsPerYear),
    typical: batteryOutcome(params.typical, deviceEnergyWh, periodS, powerW, secondsPerYear),
    max: batteryOutcome(params.max, deviceEnergyWh, periodS, powerW, secondsPerYear),
  };
  const kg = (at: Scenario): number => byScenario[at].replacementKgCO2e;
  const lowest = SCENARIOS.reduce((best, at) => (kg(at) < kg(best) ? at : best));
  const highest = SCENARIOS.reduce((best, at) => (kg(at) > kg(best) ? at : best));
  return {
    outcome: byScenario[scenario],
    byScenario,
    range: { min: kg(lowest), typical: kg('typical'), max: kg(highest) },
    rangeScenarios: { min: lowest, max: highest },
  };
}
