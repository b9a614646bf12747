/** A periodic square-wave power profile (sleep, then an active burst), as a pure function of the sample index. */
import { MAX_SUPPLY_MV } from '../../protocol/limits.js';

export interface PowerProfile {
  deviceId: string;
  supplyMv: number;
  sleepUa: number;
  activeUa: number;
  /** Length of one active burst, µs; a multiple of samplePeriodUs keeps the trapezoid exact. */
  burstUs: number;
  /** Active fraction of each period, 0 < duty ≤ 1; period = burstUs / duty, rounded to the sample period. */
  dutyCycle: number;
  samplePeriodUs: number;
  /** Uniform noise amplitude in µA (±), deterministic from `seed`. 0 = noise-free. Noise above sleepUa is clamped at 0 µA, which biases the average upwards. */
  noiseUa: number;
  /** Probability that a line is corrupted (one byte flipped ⇒ bad checksum), deterministic from `seed`. */
  checksumErrorRate: number;
  /** Emit inference begin/end events around each burst. */
  inferenceEvents: boolean;
  /** First device timestamp, µs (uint32); set near 2^32 to exercise the wrap. */
  startUs: number;
  seed: number;
  /**
   * Also send on-device `W` windows of this length, µs, integrated from every sample the device measured (those a
   * stalled link lost included), like the INA226 example firmware. 0 = samples only. Optional: 0 when absent.
   */
  deviceWindowUs?: number;
  /** Hello period, µs of device time; default HELLO_EVERY_US (1 s). SPEC §4.1 allows up to 60 s. */
  helloEveryUs?: number;
}

/** A W window's duration_ms is at most one day (SPEC §3.3). */
const MAX_DEVICE_WINDOW_US = 86_400_000_000;

/** 1 kHz: what INA226 firmware with 1.1 ms conversion and 1× averaging sustains over 115200 baud (~30 B/line). */
export const DEFAULT_SAMPLE_PERIOD_US = 1_000;

/** KWS-like default: 5 µA sleep, 8 mA bursts of 50 ms at 10 % duty, 3.3 V. ≈ 2.65 mW average. */
export const DEFAULT_PROFILE: Readonly<PowerProfile> = Object.freeze({
  deviceId: 'sim-1',
  supplyMv: 3300,
  sleepUa: 5,
  activeUa: 8_000,
  burstUs: 50_000,
  dutyCycle: 0.1,
  samplePeriodUs: DEFAULT_SAMPLE_PERIOD_US,
  noiseUa: 0,
  checksumErrorRate: 0,
  inferenceEvents: true,
  startUs: 0,
  seed: 1,
});

/** Period in µs, a whole number of sample periods, never shorter than the burst. */
export function profilePeriodUs(profile: PowerProfile): number {
  const raw = profile.burstUs / profile.dutyCycle;
  const samples = Math.max(Math.round(raw / profile.samplePeriodUs), Math.ceil(profile.burstUs / profile.samplePeriodUs));
  return samples * profile.samplePeriodUs;
}

/** Samples per period spent in the burst. */
function burstSamples(profile: PowerProfile): number {
  return Math.round(profile.burstUs / profile.samplePeriodUs);
}

export function isActiveSample(profile: PowerProfile, index: number): boolean {
  const perPeriod = profilePeriodUs(profile) / profile.samplePeriodUs;
  return index % perPeriod < burstSamples(profile);
}

/** Noise-free current of sample `index`, µA. */
export function currentUaAt(profile: PowerProfile, index: number): number {
  return isActiveSample(profile, index) ? profile.activeUa : profile.sleepUa;
}

/**
 * Exact average power of the noise-free profile over whole periods, µW. The trapezoid over the sampled square wave
 * gives exactly this too: each edge ramp adds half a sample period of the step, and the two ramps of a burst sum to one.
 */
export function expectedAveragePowerUw(profile: PowerProfile): number {
  const perPeriod = profilePeriodUs(profile) / profile.samplePeriodUs;
  const active = burstSamples(profile);
  const averageUa = (active * profile.activeUa + (perPeriod - active) * profile.sleepUa) / perPeriod;
  return (profile.supplyMv * averageUa) / 1000;
}

export function validateProfile(profile: PowerProfile): string[] {
  const problems: string[] = [];
  if (!(profile.dutyCycle > 0 && profile.dutyCycle <= 1)) problems.push('duty cycle must be in (0, 1]');
  if (!Number.isInteger(profile.samplePeriodUs) || profile.samplePeriodUs < 1) problems.push('sample period must be ≥ 1 µs');
  if (!(profile.burstUs >= profile.samplePeriodUs)) problems.push('burst must last at least one sample period');
  if (!(profile.sleepUa >= 0 && profile.activeUa >= 0)) problems.push('currents must be ≥ 0');
  if (!(profile.noiseUa >= 0)) problems.push('noise must be ≥ 0');
  if (!(profile.checksumErrorRate >= 0 && profile.checksumErrorRate < 1)) problems.push('checksum error rate must be in [0, 1)');
  if (!(profile.supplyMv > 0 && profile.supplyMv <= MAX_SUPPLY_MV)) problems.push(`supply must be 1..${MAX_SUPPLY_MV} mV`);
  const helloUs = profile.helloEveryUs ?? 1_000_000;
  if (!(helloUs >= profile.samplePeriodUs && helloUs <= 60_000_000)) problems.push('hello period must be one sample period..60 s');
  const windowUs = profile.deviceWindowUs ?? 0;
  if (!(windowUs === 0 || (windowUs >= 1000 && windowUs <= MAX_DEVICE_WINDOW_US))) problems.push('device window must be 0 (none) or 1 ms..1 day');
  return problems;
}
