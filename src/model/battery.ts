import type { Provenance } from './catalogue-types.js';
import { SECONDS_PER_HOUR } from './units.js';

/** Float noise from unit conversions must not buy a whole pack: a pack used for exactly its life is not replaced. */
const PACK_COUNT_TOLERANCE = 1e-9;
const MONTHS_PER_YEAR = 12;

/** Where each battery parameter came from: the catalogue's cited default, or the user. */
export interface BatterySources {
  capacity: Provenance;
  cycleLife: Provenance;
  calendarLife: Provenance;
  selfDischarge: Provenance;
}

export interface BatteryParams {
  capacityWh: number;
  cycleLife: number;
  calendarLifeYears: number;
  selfDischargePerMonth: number;
  meanStateOfCharge: number;
  packKgCO2e: number;
  provenance: Provenance;
  sources: BatterySources;
}

export interface BatteryOutcome {
  capacityWh: number;
  cycleLife: number;
  calendarLifeYears: number;
  selfDischargePerMonth: number;
  meanStateOfCharge: number;
  packKgCO2e: number;
  /** Energy lost inside the pack by self-discharge over the period, and recharged from the grid. */
  selfDischargeWh: number;
  /** Full-capacity equivalent recharges over the period: the device's energy plus the self-discharge. */
  recharges: number;
  /** Hours between recharges at this draw plus the self-discharge; null when nothing drains the pack. */
  rechargeIntervalH: number | null;
  /** How long one pack lasts: its cycle life at this drain or its calendar life, whichever ends first. */
  packLifeYears: number;
  /** What wears a pack out first. */
  limitedBy: 'cycles' | 'calendar';
  /** Packs worn out and replaced: each adds one pack's embodied footprint. */
  replacements: number;
  replacementKgCO2e: number;
  provenance: Provenance;
  sources: BatterySources;
}

/** Self-discharge power: the stored energy at the mean state of charge loses its monthly fraction, continuously. */
export function selfDischargePowerW(params: BatteryParams, secondsPerYear: number): number {
  const secondsPerMonth = secondsPerYear / MONTHS_PER_YEAR;
  return (params.selfDischargePerMonth * params.meanStateOfCharge * params.capacityWh * SECONDS_PER_HOUR) / secondsPerMonth;
}

export function selfDischargeWh(params: BatteryParams, periodS: number, secondsPerYear: number): number {
  return (selfDischargePowerW(params, secondsPerYear) * periodS) / SECONDS_PER_HOUR;
}

/**
 * A pack is replaced each time it passes its cycle life or its calendar life, whichever comes first; the first pack
 * is in the power-supply block already.
 */
export function batteryOutcome(params: BatteryParams, deviceEnergyWh: number, periodS: number, powerW: number, secondsPerYear: number): BatteryOutcome {
  const lostWh = selfDischargeWh(params, periodS, secondsPerYear);
  const recharges = (deviceEnergyWh + lostWh) / params.capacityWh;
  const packsByCycles = recharges / params.cycleLife;
  const packsByAge = periodS / (params.calendarLifeYears * secondsPerYear);
  const packs = Math.max(packsByCycles, packsByAge);
  const replacements = Math.max(0, Math.ceil(packs - PACK_COUNT_TOLERANCE) - 1);
  const drainW = powerW + selfDischargePowerW(params, secondsPerYear);
  const periodYears = periodS / secondsPerYear;
  return {
    capacityWh: params.capacityWh,
    cycleLife: params.cycleLife,
    calendarLifeYears: params.calendarLifeYears,
    selfDischargePerMonth: params.selfDischargePerMonth,
    meanStateOfCharge: params.meanStateOfCharge,
    packKgCO2e: params.packKgCO2e,
    selfDischargeWh: lostWh,
    recharges,
    rechargeIntervalH: drainW > 0 ? params.capacityWh / drainW : null,
    packLifeYears: packs > 0 ? periodYears / packs : params.calendarLifeYears,
    limitedBy: packsByAge > packsByCycles ? 'calendar' : 'cycles',
    replacements,
    replacementKgCO2e: replacements * params.packKgCO2e,
    provenance: params.provenance,
    sources: params.sources,
  };
}
