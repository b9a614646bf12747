import type { Catalogue, Range } from '../model/catalogue-types.js';
import { addRanges, ZERO_RANGE } from '../model/range.js';
import type { DeviceWithAggregate } from '../store/store.js';
import { deviceFootprint } from './device-footprint.js';
import type { DevicePresence } from '../live/device-presence.js';

/** A device's presence, if a transport reported one. */
export type PresenceLookup = (deviceId: string) => DevicePresence | undefined;
const NO_PRESENCE: PresenceLookup = () => undefined;

export interface FleetDeviceRow {
  id: string;
  name: string;
  fleet: string | null;
  system: string;
  grid: string;
  online: boolean;
  /** What a transport reported (MQTT status / last will); null: `online` follows the last window's age. */
  presence: DevicePresence | null;
  lastSeenMs: number | null;
  coverage: number | null;
  powerKind: 'assumed' | 'given' | 'measured';
  powerW: number;
  observedS: number;
  windows: number;
  energyJ: number;
  inferences: number;
  totalKgCO2e: number;
  totalRange: Range;
  assumedTotalKgCO2e: number;
  useKgCO2e: number;
  batteryReplacements: number;
  accruedKgCO2e: number | null;
  error: string | null;
}

export interface FleetSummary {
  devices: number;
  /** Devices whose footprint could not be computed (their row says why); they count 0 in the totals. */
  errors: number;
  online: number;
  measured: number;
  assumed: number;
  totalKgCO2e: number;
  totalRange: Range;
  assumedTotalKgCO2e: number;
  accruedKgCO2e: number;
  energyJ: number;
  observedS: number;
  averagePowerW: number | null;
  rows: FleetDeviceRow[];
}

/** Lifetime footprints of many devices, plus fleet totals. A device whose spec no longer resolves is reported, not fatal. */
export function fleetSummary(
  catalogue: Catalogue,
  entries: readonly DeviceWithAggregate[],
  nowMs: number,
  onlineThresholdMs: number,
  presenceOf: PresenceLookup = NO_PRESENCE,
): FleetSummary {
  const rows: FleetDeviceRow[] = [];
  let totalRange = ZERO_RANGE;
  const summary = { errors: 0, online: 0, measured: 0, totalKgCO2e: 0, assumedTotalKgCO2e: 0, accruedKgCO2e: 0, energyJ: 0, observedS: 0 };
  for (const { device, aggregate } of entries) {
    const base = {
      id: device.id,
      name: device.name,
      fleet: device.fleet,
      system: typeof device.spec.system === 'string' ? device.spec.system : 'custom',
      grid: device.spec.grid,
      energyJ: aggregate?.energyJ ?? 0,
      observedS: aggregate?.observedS ?? 0,
      windows: aggregate?.windows ?? 0,
      inferences: aggregate?.inferences ?? 0,
    };
    try {
      const result = deviceFootprint(catalogue, device, aggregate, nowMs, onlineThresholdMs, presenceOf(device.id));
      const { footprint, status } = result;
      rows.push({
        ...base,
        online: status.online,
        presence: status.presence,
        lastSeenMs: status.lastSeenMs,
        coverage: status.coverage,
        powerKind: footprint.power.kind,
        powerW: footprint.power.powerW,
        totalKgCO2e: footprint.totalKgCO2e,
        totalRange: footprint.totalRange,
        assumedTotalKgCO2e: footprint.comparison.assumed.totalKgCO2e,
        useKgCO2e: footprint.use.kgCO2e,
        batteryReplacements: footprint.battery?.replacements ?? 0,
        accruedKgCO2e: footprint.accrued?.kgCO2e ?? null,
        error: null,
      });
      if (status.online) summary.online += 1;
      if (footprint.power.kind === 'measured') summary.measured += 1;
      summary.totalKgCO2e += footprint.totalKgCO2e;
      summary.assumedTotalKgCO2e += footprint.comparison.assumed.totalKgCO2e;
      summary.accruedKgCO2e += footprint.accrued?.kgCO2e ?? 0;
      totalRange = addRanges(totalRange, footprint.totalRange);
    } catch (error) {
      summary.errors += 1;
      rows.push({
        ...base,
        online: false,
        presence: presenceOf(device.id) ?? null,
        lastSeenMs: aggregate?.lastSeenMs ?? null,
        coverage: null,
        powerKind: 'assumed',
        powerW: 0,
        totalKgCO2e: 0,
        totalRange: ZERO_RANGE,
        assumedTotalKgCO2e: 0,
        useKgCO2e: 0,
        batteryReplacements: 0,
        accruedKgCO2e: null,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    summary.energyJ += base.energyJ;
    summary.observedS += base.observedS;
  }
  return {
    devices: entries.length,
    errors: summary.errors,
    online: summary.online,
    measured: summary.measured,
    assumed: entries.length - summary.measured,
    totalKgCO2e: summary.totalKgCO2e,
    totalRange,
    assumedTotalKgCO2e: summary.assumedTotalKgCO2e,
    accruedKgCO2e: summary.accruedKgCO2e,
    energyJ: summary.energyJ,
    observedS: summary.observedS,
    averagePowerW: summary.observedS > 0 ? summary.energyJ / summary.observedS : null,
    rows,
  };
}
