/** Shared domain types. No I/O, no runtime code beyond type guards. */
import type { InstrumentId, WindowSpan } from './instruments.js';

export type Scenario = 'min' | 'typical' | 'max';

/** A device's footprint configuration, as stored and as accepted by the API. */
export interface DeviceSpec {
  /** A system preset id (e.g. `kws-typical`) or a custom bill of materials. */
  system: SystemChoice;
  /** A training preset id (e.g. `densenet`), or `none`. */
  training: string;
  /** Devices that share one training run (the seed charges all of it to one device). */
  trainingDevices: number;
  /** A grid: `epa` (default vintage), `epa-egrid2021`, an Ember country code (`FRA`), an Electricity Maps zone (`em:FR`), or `custom:<kg/kWh>`. */
  grid: string;
  lifetimeYears: number;
  /** Charger efficiency 0 < η ≤ 1: grid energy = battery energy / η. */
  chargerEfficiency: number;
  battery?: BatteryInput;
}

export interface BatteryInput {
  capacityWh?: number;
  cycleLife?: number;
  /** Years after which a pack is replaced for age alone; default: the catalogue's cited assumption (5 years). */
  calendarLifeYears?: number;
  /** Fraction of the stored energy lost per month, recharged from the grid; 0 is the seed's method. Default 0.02. */
  selfDischargePerMonth?: number;
  /** Embodied footprint of one replacement pack; default: the power-supply block value of the system. */
  packKgCO2e?: number;
}

export type SystemChoice = string | CustomSystem;

export interface CustomSystem {
  /** Start from this preset's blocks and scenario, then override. */
  base?: string;
  scenario?: Scenario;
  /** Per block: a level of the Pirson & Bol inventory, or an explicit kg CO2e value. */
  blocks?: Partial<Record<string, BlockChoice>>;
}

export interface BlockChoice {
  level?: number;
  kgCO2e?: number;
}

export interface Device {
  id: string;
  name: string;
  /** MQTT fleet the device belongs to, if any. */
  fleet: string | null;
  /** ISO-8601 date-time the device went into service, or null when not deployed yet. */
  deployedAt: string | null;
  spec: DeviceSpec;
  createdAt: string;
  updatedAt: string;
}

export interface DeviceInput {
  id: string;
  name?: string;
  fleet?: string | null;
  deployedAt?: string | null;
  spec: DeviceSpec;
}

export interface DevicePatch {
  name?: string;
  fleet?: string | null;
  deployedAt?: string | null;
  spec?: Partial<DeviceSpec>;
}

/**
 * Who stamped a window's start (firmware-protocol/SPEC.md §7): `device`, its own clock (HTTP `startMs`, JSON
 * `start_ms`); `receiver`, this service's estimate (receive time − duration for serial `W` lines and JSON windows
 * without `start_ms`; device time anchored to the host clock for serial sample windows). A receiver stamp is
 * different on every delivery of the same window and says nothing about what the device measured when.
 */
export type StartStamp = 'device' | 'receiver';

/** One integrated energy window of one device. Identity and overlap rules: src/domain/window-identity.ts. */
export interface EnergyWindow {
  deviceId: string;
  /** Non-negative integer sequence number; a device MAY restart it at 0 after a reboot (SPEC.md §7.2). */
  seq: number;
  /** Start of the window, Unix epoch milliseconds. */
  startMs: number;
  durationS: number;
  energyJ: number;
  sampleCount: number;
  minPowerW: number | null;
  maxPowerW: number | null;
  inferenceCount: number;
  /** Where the window came from: `http`, `serial:<path>`, `mqtt:<broker>`. */
  source: string;
  /** Who stamped `startMs`; absent means `receiver` (the start is then not part of the window's identity). */
  startStampedBy?: StartStamp;
  /** The instrument that measured it, when the source knows (imports, instrument drivers); absent: unknown. */
  instrument?: InstrumentId;
  /** `inferences`: the window is a marker-bounded run of its inferences (domain/instruments.ts); absent means `time`. */
  span?: WindowSpan;
}

/** Running per-device totals, updated in the same transaction as the windows. */
export interface DeviceAggregate {
  deviceId: string;
  energyJ: number;
  observedS: number;
  windows: number;
  samples: number;
  inferences: number;
  minPowerW: number | null;
  maxPowerW: number | null;
  maxSeq: number | null;
  firstSeenMs: number | null;
  lastSeenMs: number | null;
  /**
   * Σ energyJ², Σ energyJ·durationS and Σ durationS² over the windows: with the sums above they give the
   * window-to-window variance of the average power (src/model/power-confidence.ts) without reading the windows.
   */
  energySquaresJ2: number;
  energyDurationJS: number;
  durationSquaresS2: number;
  /** Windows that are a marker-bounded run of inferences (span `inferences`): their median gives µJ/inference. */
  inferenceSpanWindows: number;
  /** Instruments named by the windows, sorted; and the seconds those windows cover (the rest: instrument unknown). */
  instruments: InstrumentId[];
  instrumentedS: number;
}

/** Why the store refused a window (it is not stored; the caller counts it). */
export type WindowRefusalReason = 'overlap';

export interface RefusedWindow {
  /** Position in the appendWindows call. */
  index: number;
  deviceId: string;
  seq: number;
  reason: WindowRefusalReason;
  detail: string;
}

export interface AppendOptions {
  /**
   * `skip` (default; serial, MQTT): store the other windows and report the refused ones. `refuse-batch` (HTTP): if any
   * window is refused, store none of the batch and throw WindowRefusedError listing every refused window.
   */
  onRefusal?: 'skip' | 'refuse-batch';
}

export interface AppendResult {
  inserted: number;
  duplicates: number;
  /**
   * Of `inserted`: windows stored under a seq their device had already used for a different window (a device that
   * restarted seq after a reboot).
   */
  seqResets: number;
  /** Windows refused because they overlap a window of the same device (not stored; also listed in `refused`). */
  overlaps: number;
  /** Every refused window, in batch order. */
  refused: RefusedWindow[];
  /** New windows per device (devices with only duplicates or refusals are absent). */
  insertedByDevice: Record<string, number>;
}
