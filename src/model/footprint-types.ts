import type { BatteryInput, Scenario, SystemChoice } from '../domain/types.js';
import type { BatteryOutcome } from './battery.js';
import type { GridFactor, Provenance, Range, StageGroup } from './catalogue-types.js';
import type { UseStage } from './use-stage.js';

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
