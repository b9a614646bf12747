/**
 * What the simulated DUT draws, sample by sample (10 µs each): a sleep current and, once per period, a burst (one or
 * more inferences) during which the DUT holds a GPIO high, wired to a PPK2 logic input. Deterministic from its seed,
 * so a test knows the truth exactly. Pure.
 */

export interface Ppk2CurrentProfile {
  sleepCurrentA: number;
  burstCurrentA: number;
  /** Burst (inference) length and period, in samples of 10 µs. */
  burstSamples: number;
  periodSamples: number;
  /** Inferences per burst (the marker counts bursts; a window's inferenceCount is bursts × this). */
  inferencesPerBurst: number;
  /** The logic input (D0–D7) that is high during a burst. */
  logicChannel: number;
  /** Uniform noise of ± this fraction of the current, per sample (0: none). */
  noiseFraction: number;
  seed: number;
  /** The DUT's own supply in ampere mode (the PPK2 does not set it), mV; in source mode the regulator's voltage is used. */
  ampereSupplyMv: number;
}

/** A duty-cycled keyword-spotting-like load: 5 µA asleep, 8 mA for 12 ms every 100 ms, D0 high while busy. */
export const DEFAULT_PPK2_PROFILE: Ppk2CurrentProfile = Object.freeze({
  sleepCurrentA: 5e-6,
  burstCurrentA: 8e-3,
  burstSamples: 1_200,
  periodSamples: 10_000,
  inferencesPerBurst: 1,
  logicChannel: 0,
  noiseFraction: 0.02,
  seed: 1,
  ampereSupplyMv: 3_000,
});

/** The nominal current at sample n (no noise), A. */
export function nominalCurrentA(profile: Ppk2CurrentProfile, sample: number): number {
  return isBusy(profile, sample) ? profile.burstCurrentA : profile.sleepCurrentA;
}

export function isBusy(profile: Ppk2CurrentProfile, sample: number): boolean {
  return sample % profile.periodSamples < profile.burstSamples;
}

/** The profile's nominal average current, A (what the noise averages out to). */
export function nominalAverageCurrentA(profile: Ppk2CurrentProfile): number {
  const busy = profile.burstSamples / profile.periodSamples;
  return busy * profile.burstCurrentA + (1 - busy) * profile.sleepCurrentA;
}
