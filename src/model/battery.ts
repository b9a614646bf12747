import type { Provenance } from './catalogue-types.js';

/** Where each battery parameter came from: the catalogue's cited default, or the user. */
export interface BatterySources {
  capacity: Provenance;
  cycleLife: Provenance;
}

export interface BatteryParams {
  capacityWh: number;
  cycleLife: number;
  packKgCO2e: number;
  provenance: Provenance;
  sources: BatterySources;
}

export interface BatteryOutcome {
  capacityWh: number;
  cycleLife: number;
  packKgCO2e: number;
  /** Full-capacity equivalent recharges over the period. */
  recharges: number;
  /** Hours between recharges at this draw; null at zero power. */
  rechargeIntervalH: number | null;
  /** Packs worn out and replaced: each adds one pack's embodied footprint. */
  replacements: number;
  replacementKgCO2e: number;
  provenance: Provenance;
  sources: BatterySources;
}

/** A pack is replaced each time it passes its cycle life; the first pack is in the power-supply block already. */
export function batteryOutcome(params: BatteryParams, batteryEnergyWh: number, powerW: number): BatteryOutcome {
  const recharges = batteryEnergyWh / params.capacityWh;
  const replacements = recharges <= params.cycleLife ? 0 : Math.ceil(recharges / params.cycleLife) - 1;
  return {
    capacityWh: params.capacityWh,
    cycleLife: params.cycleLife,
    packKgCO2e: params.packKgCO2e,
    recharges,
    rechargeIntervalH: powerW > 0 ? params.capacityWh / powerW : null,
    replacements,
    replacementKgCO2e: replacements * params.packKgCO2e,
    provenance: params.provenance,
    sources: params.sources,
  };
}
