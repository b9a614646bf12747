import type { BatteryOutcome } from './battery.js';
import { batteryStage } from './battery-stage.js';
import type { Catalogue, Range } from './catalogue-types.js';
import type { FootprintInput, Stage } from './footprint-types.js';
import { addRanges, pick, pointRange, ZERO_RANGE } from './range.js';
import type { ResolvedSystem } from './system.js';
import { useStage, type UseStage } from './use-stage.js';

export interface LifecycleStages {
  stages: Stage[];
  totalKgCO2e: number;
  totalRange: Range;
  use: UseStage;
  battery: BatteryOutcome | null;
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
  const use = useStage(powerW, periodS, input.chargerEfficiency, input.grid);
  const packs = batteryStage(catalogue, system, input.battery, use.deviceEnergyWh, powerW);
  const battery = packs?.outcome ?? null;
  if (packs !== null && battery !== null) {
    stages.push({
      id: 'battery-replacements',
      label: 'Battery replacements',
      group: 'embodied',
      kgCO2e: battery.replacementKgCO2e,
      range: packs.range,
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
