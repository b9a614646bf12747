import { resolveGrid } from '../catalogue/grid.js';
import type { Device, DeviceAggregate, DeviceSpec } from '../domain/types.js';
import type { Catalogue } from '../model/catalogue-types.js';
import { computeFootprint, type FootprintInput, type FootprintResult, type PowerInput } from '../model/footprint.js';
import { isOnlineNow, type DevicePresence } from '../live/device-presence.js';

/** Measured average power once a device has reported energy over some time; else the seed's assumption. */
export function powerFromAggregate(catalogue: Catalogue, aggregate: DeviceAggregate | undefined): PowerInput {
  if (aggregate === undefined || aggregate.windows === 0 || aggregate.observedS <= 0) {
    return { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW };
  }
  return {
    kind: 'measured',
    powerW: aggregate.energyJ / aggregate.observedS,
    observedS: aggregate.observedS,
    samples: aggregate.samples,
    windows: aggregate.windows,
  };
}

export function footprintInputFromSpec(spec: DeviceSpec, power: PowerInput, elapsedS?: number): FootprintInput {
  return {
    system: spec.system,
    training: spec.training,
    trainingDevices: spec.trainingDevices,
    lifetimeYears: spec.lifetimeYears,
    grid: resolveGrid(spec.grid),
    chargerEfficiency: spec.chargerEfficiency,
    ...(spec.battery === undefined ? {} : { battery: spec.battery }),
    power,
    ...(elapsedS === undefined ? {} : { elapsedS }),
  };
}

/** Throws the model's ValidationError unless the spec's system, training and grid all resolve (checked before storing). */
export function assertSpecResolves(catalogue: Catalogue, spec: DeviceSpec): void {
  computeFootprint(catalogue, footprintInputFromSpec(spec, powerFromAggregate(catalogue, undefined)));
}

export interface DeviceStatus {
  /** By presence when known (MQTT status, last will), else: the last window ended within the online threshold. */
  online: boolean;
  /** What a transport last reported (null: none, `online` follows the last window's age). */
  presence: DevicePresence | null;
  lastSeenMs: number | null;
  /** Observed seconds / span between first and last window: how much of the time we have measurements for. */
  coverage: number | null;
}

export function deviceStatus(aggregate: DeviceAggregate | undefined, nowMs: number, onlineThresholdMs: number, presence?: DevicePresence): DeviceStatus {
  if (aggregate === undefined || aggregate.lastSeenMs === null || aggregate.firstSeenMs === null) {
    return { online: isOnlineNow(presence, null, nowMs, onlineThresholdMs), presence: presence ?? null, lastSeenMs: null, coverage: null };
  }
  const spanS = (aggregate.lastSeenMs - aggregate.firstSeenMs) / 1000;
  return {
    online: isOnlineNow(presence, aggregate.lastSeenMs, nowMs, onlineThresholdMs),
    presence: presence ?? null,
    lastSeenMs: aggregate.lastSeenMs,
    coverage: spanS > 0 ? Math.min(1, aggregate.observedS / spanS) : null,
  };
}

export interface DeviceFootprint {
  device: Device;
  aggregate: DeviceAggregate | null;
  status: DeviceStatus;
  footprint: FootprintResult;
}

/** The live footprint of one device: its spec, its measured power so far, and the time since deployment. */
export function deviceFootprint(
  catalogue: Catalogue,
  device: Device,
  aggregate: DeviceAggregate | undefined,
  nowMs: number,
  onlineThresholdMs: number,
  presence?: DevicePresence,
): DeviceFootprint {
  const deployedMs = device.deployedAt === null ? null : Date.parse(device.deployedAt);
  const elapsedS = deployedMs === null || Number.isNaN(deployedMs) ? undefined : Math.max(0, (nowMs - deployedMs) / 1000);
  const footprint = computeFootprint(catalogue, footprintInputFromSpec(device.spec, powerFromAggregate(catalogue, aggregate), elapsedS));
  return { device, aggregate: aggregate ?? null, status: deviceStatus(aggregate, nowMs, onlineThresholdMs, presence), footprint };
}
