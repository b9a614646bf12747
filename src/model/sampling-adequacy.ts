/**
 * Is the sampling fast enough for the workload? An instrument that samples power (not one that integrates energy,
 * like the LPM01A's energy output or a Joulescope's statistics) sees a burst shorter than its sample period either
 * not at all or as if it lasted a whole period: 10 ms bursts sampled at 10 Hz read +884 % or −98 % depending on the
 * phase (issue 10). A burst's energy is known to about ±1/k with k samples across it, so fewer than
 * MIN_SAMPLES_PER_BURST is a warning; fewer than 2 samples per inference cycle (Nyquist) cannot resolve the cycle
 * at all. Pure.
 */

/** Samples across one burst below which its energy is off by more than ~10 % whatever the phase. */
export const MIN_SAMPLES_PER_BURST = 10;

export interface SamplingFacts {
  /** Mean time between samples, s. */
  samplePeriodS: number;
  observedS: number;
  inferences: number;
  /** Average, min and max power over the observation (null: unknown). */
  averagePowerW: number;
  minPowerW: number | null;
  maxPowerW: number | null;
  /** Burst length from inference markers, when known (span `inferences`: duration / inferences). */
  markerBurstS?: number;
}

export interface SamplingWarning {
  samplePeriodS: number;
  /** The burst length compared, s, and where it came from. */
  burstS: number;
  burstBasis: 'markers' | 'duty-cycle estimate' | 'inference period';
  samplesPerBurst: number;
  message: string;
}

/**
 * The burst length: from markers when given; else estimated from the duty cycle the min/max/average imply
 * ((avg − min) / (max − min) of each inference period); else the inference period itself (bursts are no longer).
 */
export function samplingWarning(facts: SamplingFacts): SamplingWarning | null {
  if (!(facts.samplePeriodS > 0) || facts.inferences <= 0 || !(facts.observedS > 0)) return null;
  const periodS = facts.observedS / facts.inferences;
  let burstS: number;
  let burstBasis: SamplingWarning['burstBasis'];
  if (facts.markerBurstS !== undefined && facts.markerBurstS > 0) {
    burstS = facts.markerBurstS;
    burstBasis = 'markers';
  } else if (facts.minPowerW !== null && facts.maxPowerW !== null && facts.maxPowerW > facts.minPowerW) {
    const duty = Math.min(1, Math.max(0, (facts.averagePowerW - facts.minPowerW) / (facts.maxPowerW - facts.minPowerW)));
    burstS = duty * periodS;
    burstBasis = 'duty-cycle estimate';
  } else {
    burstS = periodS;
    burstBasis = 'inference period';
  }
  const samplesPerBurst = burstS / facts.samplePeriodS;
  const nyquist = periodS / facts.samplePeriodS < 2;
  if (!nyquist && samplesPerBurst >= MIN_SAMPLES_PER_BURST) return null;
  const ms = (s: number): string => `${(s * 1000).toPrecision(3)} ms`;
  const message = nyquist
    ? `sampling every ${ms(facts.samplePeriodS)} is slower than half the inference period (${ms(periodS)}): the average can be off by several times; sample faster or use an integrating instrument`
    : `bursts of ~${ms(burstS)} (${burstBasis}) get ${samplesPerBurst.toPrecision(2)} samples each at one per ${ms(facts.samplePeriodS)}: ` +
      `fewer than ${MIN_SAMPLES_PER_BURST}, so each burst's energy is off by up to ~${Math.round(100 / Math.max(samplesPerBurst, 1))} % (more when phase-locked)`;
  return { samplePeriodS: facts.samplePeriodS, burstS, burstBasis, samplesPerBurst, message };
}
