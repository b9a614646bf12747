import { ValidationError } from '../domain/errors.js';
import type { BatteryInput, Scenario } from '../domain/types.js';
import { batteryOutcome, type BatteryOutcome, type BatteryParams } from './battery.js';
import type { Catalogue, Provenance, Range } from './catalogue-types.js';
import { provenanceAt } from './provenance.js';
import { pick } from './range.js';
import type { ResolvedSystem } from './system.js';

const SCENARIOS: readonly Scenario[] = ['min', 'typical', 'max'];

function userSource(citation: string): Provenance {
  return { dataset: 'user', kind: 'user', citation };
}

/**
 * The battery of a system at one scenario's quantities (pack capacity and pack footprint scale together), or null
 * when the power supply is not a rechargeable battery. User values override the inventory's.
 */
export function batteryParams(catalogue: Catalogue, system: ResolvedSystem, input: BatteryInput | undefined, scenario: Scenario): BatteryParams | null {
  const power = system.blocks.find((entry) => entry.block.id === 'power-supply');
  const isBattery = power?.level?.isBattery === true || input?.capacityWh !== undefined;
  if (power === undefined || !isBattery) return null;
  const capacityWh = input?.capacityWh ?? (power.level?.batteryCapacityWh ? pick(power.level.batteryCapacityWh, scenario) : undefined);
  if (capacityWh === undefined) {
    throw new ValidationError('battery.capacityWh is required for a power supply given as a custom value');
  }
  const isDefault = input === undefined || Object.values(input).every((value) => value === undefined);
  const capacitySource = power.level?.batteryCapacityProvenance ?? power.level?.provenance;
  const assumptions = catalogue.assumptions;
  return {
    capacityWh,
    cycleLife: input?.cycleLife ?? assumptions.batteryCycleLife,
    calendarLifeYears: input?.calendarLifeYears ?? assumptions.batteryCalendarLifeYears,
    selfDischargePerMonth: input?.selfDischargePerMonth ?? assumptions.batterySelfDischargePerMonth,
    meanStateOfCharge: assumptions.batteryMeanStateOfCharge,
    packKgCO2e: input?.packKgCO2e ?? pick(power.range, scenario),
    provenance: isDefault
      ? assumptions.batteryProvenance
      : { dataset: 'user', kind: 'user', citation: 'battery parameters given by the user', note: assumptions.batteryProvenance.citation },
    sources: {
      capacity:
        input?.capacityWh !== undefined || capacitySource === undefined
          ? userSource('battery capacity given by the user')
          : provenanceAt(capacitySource, scenario),
      cycleLife: input?.cycleLife === undefined ? assumptions.batteryProvenance : userSource('battery cycle life given by the user'),
      calendarLife: input?.calendarLifeYears === undefined ? assumptions.batteryCalendarLifeProvenance : userSource('battery calendar life given by the user'),
      selfDischarge:
        input?.selfDischargePerMonth === undefined
          ? assumptions.batterySelfDischargeProvenance
          : { ...userSource('battery self-discharge given by the user'), note: `at the assumed mean state of charge ${assumptions.batteryMeanStateOfCharge}` },
    },
  };
}

export interface BatteryStage {
  /** The outcome at the system's own scenario. */
  outcome: BatteryOutcome;
  /** Each scenario's pack with its own capacity, its own replacement count and its own embodied footprint. */
  byScenario: Readonly<Record<Scenario, BatteryOutcome>>;
  /**
   * Lowest and highest replacement footprint over the three scenarios, each reached by one scenario's own pack (a small
   * pack wears out more often, so the min scenario may give the max); typical is the typical scenario's.
   */
  range: Range;
  /** The scenario that gives each end of `range`. */
  rangeScenarios: { min: Scenario; max: Scenario };
}

/** The battery over `periodS` at `powerW` at each scenario's quantities, or null without a rechargeable battery. */
export function batteryStage(
  catalogue: Catalogue,
  system: ResolvedSystem,
  input: BatteryInput | undefined,
  deviceEnergyWh: number,
  periodS: number,
  powerW: number,
): BatteryStage | null {
  if (batteryParams(catalogue, system, input, system.scenario) === null) return null;
  const secondsPerYear = catalogue.assumptions.secondsPerYear;
  const byScenario = Object.fromEntries(
    SCENARIOS.map((scenario) => [
      scenario,
      batteryOutcome(batteryParams(catalogue, system, input, scenario)!, deviceEnergyWh, periodS, powerW, secondsPerYear),
    ]),
  ) as Record<Scenario, BatteryOutcome>;
  const kg = (scenario: Scenario): number => byScenario[scenario].replacementKgCO2e;
  const lowest = SCENARIOS.reduce((best, scenario) => (kg(scenario) < kg(best) ? scenario : best));
  const highest = SCENARIOS.reduce((best, scenario) => (kg(scenario) > kg(best) ? scenario : best));
  return {
    outcome: byScenario[system.scenario],
    byScenario,
    range: { min: kg(lowest), typical: kg('typical'), max: kg(highest) },
    rangeScenarios: { min: lowest, max: highest },
  };
}
