import { resolveGrid } from '../catalogue/grid.js';
import type { Device, DeviceAggregate, DeviceSpec, EnergyWindow } from '../domain/types.js';
import { aggregateEnergyPerInference, medianEnergyPerInference } from '../model/energy-per-inference.js';
import { perInferenceFootprint, type PerInferenceBasis, type PerInferenceFootprint } from '../model/per-inference.js';
import { powerUncertainty, type PowerUncertainty } from '../model/power-confidence.js';
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

/** The model's input that a spec alone decides (all but power and elapsed time): what per-spec plans are built from. */
export function specInput(spec: DeviceSpec): Omit<FootprintInput, 'power' | 'elapsedS'> {
  return {
    system: spec.system,
    training: spec.training,
    trainingDevices: spec.trainingDevices,
    lifetimeYears: spec.lifetimeYears,
    grid: resolveGrid(spec.grid),
    chargerEfficiency: spec.chargerEfficiency,
    ...(spec.battery === undefined ? {} : { battery: spec.battery }),
  };
}

export function footprintInputFromSpec(spec: DeviceSpec, power: PowerInput, elapsedS?: number): FootprintInput {
  return {
    ...specInput(spec),
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
  /** How well the measured average power is known (null: no measurement yet). */
  powerUncertainty: PowerUncertainty | null;
  /** Energy and SCI per inference (null: no inference counted yet). */
  perInference: PerInferenceFootprint | null;
}

/**
 * The most recent inference spans the median reads (MLPerf Tiny runs 5 windows; a long import a few hundred):
 * bounds the read on the footprint's hot path.
 */
export const MAX_INFERENCE_SPANS_FOR_MEDIAN = 1_000;

/**
 * Per-inference figures of a device: the median over its marker-bounded windows when it has them (`spans`, newest
 * first, as Store.listInferenceSpans gives), else the aggregate's energy over its inferences. The rate behind SCI's R
 * is the measured one: inferences over observed time.
 */
export function devicePerInference(
  footprint: PerInferenceBasis,
  aggregate: DeviceAggregate | undefined,
  spans: readonly EnergyWindow[],
): PerInferenceFootprint | null {
  if (aggregate === undefined) return null;
  // Oldest first, so perWindowJ reads in the order the windows were measured.
  const energy = medianEnergyPerInference([...spans].reverse()) ?? aggregateEnergyPerInference(aggregate);
  if (energy === null) return null;
  const rate =
    aggregate.observedS > 0 && aggregate.inferences > 0 ? { inferencesPerS: aggregate.inferences / aggregate.observedS, basis: 'measured' as const } : null;
  return perInferenceFootprint(footprint, energy, rate);
}

/** The live footprint of one device: its spec, its measured power so far, and the time since deployment. */
export function deviceFootprint(
  catalogue: Catalogue,
  device: Device,
  aggregate: DeviceAggregate | undefined,
  nowMs: number,
  onlineThresholdMs: number,
  presence?: DevicePresence,
  inferenceSpans: readonly EnergyWindow[] = [],
): DeviceFootprint {
  const deployedMs = device.deployedAt === null ? null : Date.parse(device.deployedAt);
  const elapsedS = deployedMs === null || Number.isNaN(deployedMs) ? undefined : Math.max(0, (nowMs - deployedMs) / 1000);
  const footprint = computeFootprint(catalogue, footprintInputFromSpec(device.spec, powerFromAggregate(catalogue, aggregate), elapsedS));
  return {
    device,
    aggregate: aggregate ?? null,
    status: deviceStatus(aggregate, nowMs, onlineThresholdMs, presence),
    footprint,
    powerUncertainty: aggregate === undefined ? null : powerUncertainty(aggregate),
    perInference: devicePerInference(footprint, aggregate, inferenceSpans),
  };
}
