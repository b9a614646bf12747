/**
 * Pure, deterministic window generator for the fleet simulator: every device follows one of a few TinyML duty-cycle
 * archetypes, and every window varies around it by a hash of (device, seq). Tests and benchmarks compute the exact
 * sums of what was published by calling the same functions.
 */

export interface DeviceProfile {
  archetype: string;
  /** Fraction of the time in active inference, 0..1. */
  dutyCycle: number;
  activePowerUw: number;
  sleepPowerUw: number;
  /** Inferences per second of active time. */
  inferencesPerActiveS: number;
}

/** The JSON window message (firmware-protocol/SPEC.md §5), as published. */
export interface WindowPayload {
  v: 1;
  type: 'window';
  seq: number;
  start_ms: number;
  duration_ms: number;
  energy_uj: number;
  samples: number;
  min_power_uw: number;
  max_power_uw: number;
  inferences: number;
}

export interface WindowTotals {
  windows: number;
  energyUj: number;
  samples: number;
  inferences: number;
  durationMs: number;
}

/** Sample period of the simulated power monitor (ms): 100 samples per 1 s. */
export const SIM_SAMPLE_PERIOD_MS = 10;
/** A window's duty cycle varies ±this fraction around its device's. */
export const SIM_DUTY_JITTER = 0.2;

const ARCHETYPES: readonly DeviceProfile[] = [
  // Always-on keyword spotting (Arduino Nano 33 BLE Sense class): listens a lot.
  { archetype: 'kws-always-on', dutyCycle: 0.35, activePowerUw: 27_000, sleepPowerUw: 800, inferencesPerActiveS: 4 },
  // Person detection, triggered by motion.
  { archetype: 'person-detect', dutyCycle: 0.08, activePowerUw: 95_000, sleepPowerUw: 1_200, inferencesPerActiveS: 2 },
  // Anomaly detection on a vibration sensor, a burst per minute.
  { archetype: 'vibration-anomaly', dutyCycle: 0.02, activePowerUw: 15_000, sleepPowerUw: 45, inferencesPerActiveS: 50 },
  // Gesture recognition on a wearable.
  { archetype: 'gesture-wearable', dutyCycle: 0.15, activePowerUw: 9_000, sleepPowerUw: 120, inferencesPerActiveS: 25 },
];

/** `sim-0007` style ids; the same function names the devices for `mqtt-credentials --devices`. */
export function simDeviceId(devicePrefix: string, index: number): string {
  return `${devicePrefix}-${String(index).padStart(4, '0')}`;
}

/** 32-bit integer hash → [0, 1) (a murmur3-style finalizer: cheap, well mixed, deterministic). */
export function unitHash(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296;
}

export function deviceProfile(index: number): DeviceProfile {
  const base = ARCHETYPES[index % ARCHETYPES.length]!;
  // Each device differs from its archetype by up to ±25 % in duty cycle.
  const scale = 0.75 + 0.5 * unitHash(index, 0x5eed);
  return { ...base, dutyCycle: Math.min(1, base.dutyCycle * scale) };
}

export function windowPayload(index: number, seq: number, startMs: number, durationMs: number): WindowPayload {
  const profile = deviceProfile(index);
  const jitter = 1 - SIM_DUTY_JITTER + 2 * SIM_DUTY_JITTER * unitHash(index, seq);
  const duty = Math.min(1, profile.dutyCycle * jitter);
  const durationS = durationMs / 1000;
  const meanPowerUw = duty * profile.activePowerUw + (1 - duty) * profile.sleepPowerUw;
  return {
    v: 1,
    type: 'window',
    seq,
    start_ms: startMs,
    duration_ms: durationMs,
    energy_uj: Math.round(meanPowerUw * durationS),
    samples: Math.max(1, Math.floor(durationMs / SIM_SAMPLE_PERIOD_MS)),
    min_power_uw: profile.sleepPowerUw,
    max_power_uw: profile.activePowerUw,
    inferences: Math.round(duty * durationS * profile.inferencesPerActiveS),
  };
}

/** Sums of windows seq = firstSeq … firstSeq + count − 1 of one device (start times do not affect the sums). */
export function expectedTotals(index: number, firstSeq: number, count: number, durationMs: number): WindowTotals {
  const totals: WindowTotals = { windows: 0, energyUj: 0, samples: 0, inferences: 0, durationMs: 0 };
  for (let seq = firstSeq; seq < firstSeq + count; seq += 1) {
    const window = windowPayload(index, seq, 0, durationMs);
    totals.windows += 1;
    totals.energyUj += window.energy_uj;
    totals.samples += window.samples;
    totals.inferences += window.inferences;
    totals.durationMs += window.duration_ms;
  }
  return totals;
}
