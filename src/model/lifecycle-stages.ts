import type { Scenario } from '../domain/types.js';
import type { BatteryOutcome } from './battery.js';
import { batteryStage, type BatteryStage } from './battery-stage.js';
import type { Catalogue, Range } from './catalogue-types.js';
import type { FootprintInput, Stage } from './footprint-types.js';
import { pick } from './range.js';
import type { ResolvedSystem } from './system.js';
import { joulesToWh } from './units.js';
import { useStage, type UseStage } from './use-stage.js';

const SCENARIOS: readonly Scenario[] = ['min', 'typical', 'max'];

export interface LifecycleStages {
  stages: Stage[];
  totalKgCO2e: number;
  totalRange: Range;
  use: UseStage;
  battery: BatteryOutcome | null;
}

/** The battery-replacements stage's note: packs worn out, what limited them, and the range's two ends. */
export function batteryNote(packs: BatteryStage): string {
  const outcome = packs.outcome;
  const end = (scenario: Scenario): string => {
    const at = packs.byScenario[scenario];
    return `${at.replacementKgCO2e.toFixed(2)} kg (${scenario} scenario: ${at.replacements} × ${at.capacityWh} Wh pack)`;
  };
  return (
    `${outcome.replacements} pack(s) worn out (by ${outcome.limitedBy === 'calendar' ? `calendar age, ${outcome.calendarLifeYears} years` : `${outcome.cycleLife} cycles`}); ` +
    `${outcome.recharges.toFixed(1)} recharges of ${outcome.capacityWh} Wh; ` +
    `range ${end(packs.rangeScenarios.min)} to ${end(packs.rangeScenarios.max)}`
  );
}

/**
 * The total's range as reachable cases: what follows the hardware quantities (every block, the battery pack, its
 * replacements and its self-discharge in the use stage) moves together by scenario, so each end is one scenario's own
 * total, never the small pack's footprint paired with the large pack's replacement count. Training is independent of
 * the hardware and adds its own range.
 */
export function consistentTotalRange(
  coupledKgByScenario: Readonly<Record<Scenario, number>>,
  training: Range,
  endOfLifeKg: number,
  endOfLifeMaxShare: number,
): {
  total: Range;
  endOfLife: Range;
} {
  const coupled = SCENARIOS.map((scenario) => coupledKgByScenario[scenario]);
  const restMax = Math.max(...coupled) + training.max;
  const endOfLife = { min: endOfLifeKg, typical: endOfLifeKg, max: endOfLifeKg + restMax * endOfLifeMaxShare };
  return {
    total: {
      min: Math.min(...coupled) + training.min + endOfLife.min,
      typical: coupledKgByScenario.typical + training.typical + endOfLife.typical,
      max: restMax + endOfLife.max,
    },
    endOfLife,
  };
}

/**
 * Every stage over `periodS` at `powerW`: training share, each block, battery replacements, use, end of life.
 * The same function gives the lifetime, the 1 mW comparison and the footprint to date.
 */
export function lifecycleStages(
  catalogue: Catalogue,
  system: ResolvedSystem,
  input: FootprintInput,
  trainingPerDevice: Range,
  trainingStage: Omit<Stage, 'kgCO2e' | 'range' | 'share'>,
  periodS: number,
  powerW: number,
): LifecycleStages {
  const stages: Omit<Stage, 'share'>[] = [];
  // Training is the model's, not the hardware's: its value does not move with the min/typical/max quantities.
  stages.push({ ...trainingStage, kgCO2e: trainingPerDevice.typical, range: trainingPerDevice });
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
  const deviceEnergyWh = joulesToWh(powerW * periodS);
  const packs = batteryStage(catalogue, system, input.battery, deviceEnergyWh, periodS, powerW);
  const battery = packs?.outcome ?? null;
  // A pack's self-discharge depends on its capacity, so the use stage moves with the scenario like the pack does.
  const useByScenario = Object.fromEntries(
    SCENARIOS.map((scenario) => [scenario, useStage(powerW, periodS, input.chargerEfficiency, input.grid, packs?.byScenario[scenario].selfDischargeWh ?? 0)]),
  ) as Record<Scenario, UseStage>;
  const use = useByScenario[system.scenario];
  const useKg = SCENARIOS.map((scenario) => useByScenario[scenario].kgCO2e);
  if (packs !== null && battery !== null) {
    stages.push({
      id: 'battery-replacements',
      label: 'Battery replacements',
      group: 'embodied',
      kgCO2e: battery.replacementKgCO2e,
      range: packs.range,
      level: null,
      provenance: { ...battery.provenance, note: batteryNote(packs) },
    });
  }
  stages.push({
    id: 'use',
    label: 'Use stage',
    group: 'use',
    kgCO2e: use.kgCO2e,
    range: { min: Math.min(...useKg), typical: useByScenario.typical.kgCO2e, max: Math.max(...useKg) },
    level: null,
    provenance: input.grid.provenance,
  });

  const coupledKgByScenario = Object.fromEntries(
    SCENARIOS.map((scenario) => [
      scenario,
      system.blocks.reduce((sum, entry) => sum + pick(entry.range, scenario), 0) +
        (packs?.byScenario[scenario].replacementKgCO2e ?? 0) +
        useByScenario[scenario].kgCO2e,
    ]),
  ) as Record<Scenario, number>;
  const endOfLifeKg = catalogue.assumptions.endOfLifeKgCO2e;
  const ranges = consistentTotalRange(coupledKgByScenario, trainingPerDevice, endOfLifeKg, catalogue.assumptions.endOfLifeMaxShare);
  stages.push({
    id: 'end-of-life',
    label: 'End of life',
    group: 'end-of-life',
    kgCO2e: endOfLifeKg,
    range: ranges.endOfLife,
    level: null,
    provenance: catalogue.assumptions.endOfLifeProvenance,
  });
  const totalKgCO2e = stages.reduce((sum, stage) => sum + stage.kgCO2e, 0);
  return {
    stages: stages.map((stage) => ({ ...stage, share: totalKgCO2e > 0 ? stage.kgCO2e / totalKgCO2e : 0 })),
    totalKgCO2e,
    totalRange: ranges.total,
    use,
    battery,
  };
}
