import type { Scenario } from '../domain/types.js';

/** min / typical / max of one quantity (Pirson & Bol inventory quantities; Boavizta-style ranges). */
export interface Range {
  min: number;
  typical: number;
  max: number;
}

export type ProvenanceKind = 'published' | 'derived' | 'assumption' | 'user' | 'measured';

/** The kind of each end of a range, where they differ (a range end fitted beside published ones). */
export type RangeKinds = Readonly<Record<Scenario, ProvenanceKind>>;

/** Where a number came from: every value in a result carries one. */
export interface Provenance {
  /** The dataset the number was taken from (for a block: the TinyML-Footprint table, not the paper behind it). */
  dataset: string;
  kind: ProvenanceKind;
  citation: string;
  note?: string;
  /** The primary source the dataset's values were derived from, when the dataset is a secondary compilation. */
  source?: string;
  /** Present when the ends of the range are not all of `kind`: `kind` is then the kind of the value reported. */
  rangeKinds?: RangeKinds;
}

export interface BlockLevel {
  level: number;
  content: string;
  /** null: the level exists in the inventory but the seed does not quantify it; a custom value is needed. */
  kgCO2e: Range | null;
  provenance: Provenance;
  /** Power-supply levels only: whether the level is a rechargeable battery, and its capacity. */
  isBattery?: boolean;
  batteryCapacityWh?: Range;
  batteryCapacityProvenance?: Provenance;
}

export type StageGroup = 'training' | 'embodied' | 'transport' | 'use' | 'end-of-life';

export interface Block {
  id: string;
  label: string;
  group: 'embodied' | 'transport';
  levels: readonly BlockLevel[];
}

export interface SystemPreset {
  id: string;
  label: string;
  application: string;
  scenario: Scenario;
  training: string;
  blocks: Readonly<Record<string, number>>;
  provenance: Provenance;
}

export interface TrainingPreset {
  id: string;
  label: string;
  kgCO2e: number;
  provenance: Provenance;
}

export interface TrainingRun {
  id: string;
  model: string;
  gpu: string;
  hours: number;
  energyKWh: number;
}

export interface ReferenceDevice {
  id: string;
  label: string;
  kgCO2e: number;
  provenance: Provenance;
}

/** What a grid factor counts: CO2 alone (EPA eGRID) or all greenhouse gases as CO2-equivalent. */
export type GridGas = 'CO2' | 'CO2e';
/**
 * `direct`: emissions at the power plant only (EPA eGRID); `lifecycle`: also fuel supply, plant construction and
 * decommissioning (Ember, Electricity Maps); `user-defined`: a factor the user gives.
 */
export type GridScope = 'direct' | 'lifecycle' | 'user-defined';

export interface GridFactor {
  id: string;
  label: string;
  /** kg per kWh of the gas named in `gas` (CO2 only for EPA factors, despite the field name). */
  kgCO2ePerKWh: number;
  gas: GridGas;
  scope: GridScope;
  /** The year the factor describes (an Ember country's own latest year, an Electricity Maps vintage), or null. */
  year: number | null;
  provenance: Provenance;
}

export interface LifecycleAssumptions {
  assumedPowerW: number;
  assumedPowerProvenance: Provenance;
  lifetimeYears: number;
  secondsPerYear: number;
  lifetimeProvenance: Provenance;
  endOfLifeKgCO2e: number;
  endOfLifeMaxShare: number;
  endOfLifeProvenance: Provenance;
  batteryCycleLife: number;
  batteryProvenance: Provenance;
  /** Years after which a pack is worn out by age alone (calendar ageing), however few cycles it ran. */
  batteryCalendarLifeYears: number;
  batteryCalendarLifeProvenance: Provenance;
  /** Fraction of the stored energy lost per month (a month is a twelfth of `secondsPerYear`), recharged from the grid. */
  batterySelfDischargePerMonth: number;
  /** Mean state of charge the self-discharge applies to (0..1). */
  batteryMeanStateOfCharge: number;
  batterySelfDischargeProvenance: Provenance;
  chargerEfficiency: number;
  chargerProvenance: Provenance;
}

/** Everything the pure model needs, passed in as data (no imports of files from inside the model). */
export interface Catalogue {
  /** The sources behind the block values: a short citation (repeated in results) and a longer description. */
  sources: Readonly<Record<string, { dataset: string; citation: string; description: string; basedOn?: string }>>;
  blocks: readonly Block[];
  systems: readonly SystemPreset[];
  training: {
    presets: readonly TrainingPreset[];
    runs: readonly TrainingRun[];
    gridRangeKgPerKWh: { min: number; max: number };
    provenance: Provenance;
  };
  referenceDevices: readonly ReferenceDevice[];
  assumptions: LifecycleAssumptions;
}
