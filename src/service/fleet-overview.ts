import type { FleetIndex, IndexedDevice } from './fleet-index.js';
import type { OnlineSample } from './online-history.js';

/**
 * Lower edges of the power histogram's bins (W), a 1-2-5 series from 10 µW to 10 W: TinyML boards sit between ~0.1 mW
 * (duty-cycled) and ~100 mW (always-on NPU), so each decade gets three bins; below and above are counted apart.
 */
export const POWER_BIN_EDGES_W: readonly number[] = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1, 2e-1, 5e-1, 1, 2, 5, 10];

/**
 * A device's state now. `online`: it reports (its last window is within the online threshold) and no transport says
 * it left. `stale`: its transport says it is connected (MQTT status "online") but no window arrived within the
 * threshold, so every live figure of it is old. `offline`: its last will fired, it said "offline", or (without
 * presence) its last window aged past the threshold; also a device that never reported or whose footprint errs.
 */
export type DeviceState = 'online' | 'stale' | 'offline';

export interface StateCounts {
  online: number;
  stale: number;
  offline: number;
}

export interface PowerHistogram {
  /** Lower edge of each bin (W); bin i holds edgesW[i] ≤ power < edgesW[i + 1], the last one up to `above`'s edge. */
  edgesW: number[];
  counts: number[];
  /** Measured devices below the first edge, and at or above the last. */
  below: number;
  above: number;
  /** Devices with measured power (the histogram's population); the others are assumed and not drawn. */
  measured: number;
  assumed: number;
}

export interface FleetGroup extends StateCounts {
  /** The MQTT fleet, or null for devices in none. */
  fleet: string | null;
  devices: number;
  measured: number;
  totalKgCO2e: number;
  assumedTotalKgCO2e: number;
  energyJ: number;
  observedS: number;
  averagePowerW: number | null;
  lastSeenMs: number | null;
}

export interface FleetOverview {
  computedAtMs: number;
  onlineThresholdMs: number;
  /** False while the fleet loads at startup, or while every device's state is counted again after the clock went back. */
  complete: boolean;
  states: StateCounts;
  /** The latest window end over every device (epoch ms): how fresh the fleet's newest figure is. */
  lastSeenMs: number | null;
  power: PowerHistogram;
  /** One group per MQTT fleet (and one for devices in none), by devices descending, then name. */
  fleets: FleetGroup[];
  /** Online devices (by presence or last window) sampled every `stepMs` since the service started, oldest first. */
  onlineHistory: { stepMs: number; samples: OnlineSample[] };
}

/** @see DeviceState */
export function deviceState(row: IndexedDevice, presence: { state: 'online' | 'offline' } | undefined, nowMs: number, thresholdMs: number): DeviceState {
  if (row.error !== null) return 'offline';
  const fresh = row.lastSeenMs !== null && nowMs - row.lastSeenMs <= thresholdMs;
  if (presence !== undefined) return presence.state === 'offline' ? 'offline' : fresh ? 'online' : 'stale';
  return fresh ? 'online' : 'offline';
}

/** Bin index of a power in POWER_BIN_EDGES_W, -1 below the first edge, edges.length − 1 … clamps at the last edge and above. */
export function powerBin(powerW: number, edgesW: readonly number[] = POWER_BIN_EDGES_W): number {
  if (powerW < edgesW[0]!) return -1;
  let lo = 0;
  let hi = edgesW.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edgesW[mid]! <= powerW) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The fleet at a glance (GET /api/fleet/overview): state counts, the measured power distribution and the groups by
 * MQTT fleet at `nowMs`, from the running sums the index keeps (fleet-overview-sums.ts: O(groups) per call, not a pass
 * over the devices), and the online count over time.
 */
export function fleetOverview(index: FleetIndex, nowMs: number, fleet?: string): FleetOverview {
  const { states, lastSeenMs, power, fleets } = index.overview(nowMs, fleet);
  return {
    computedAtMs: nowMs,
    onlineThresholdMs: index.onlineThresholdMs,
    complete: index.overviewComplete,
    states,
    lastSeenMs,
    power,
    fleets,
    onlineHistory: { stepMs: index.onlineHistory.step, samples: fleet === undefined ? index.onlineHistory.list() : [] },
  };
}
