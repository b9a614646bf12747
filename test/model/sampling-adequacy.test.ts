import { describe, expect, it } from 'vitest';
import { samplingWarning } from '../../src/model/sampling-adequacy.js';

describe('sampling adequacy', () => {
  it('warns for the issue case: 10 ms bursts once a second, sampled at 10 Hz', () => {
    // 10 ms at 100 mW, 990 ms at 1 mW: average 1.99 mW; the samples that hit a burst show the max.
    const warning = samplingWarning({ samplePeriodS: 0.1, observedS: 60, inferences: 60, averagePowerW: 0.00199, minPowerW: 0.001, maxPowerW: 0.1 });
    expect(warning).toMatchObject({ burstBasis: 'duty-cycle estimate' });
    expect(warning!.burstS).toBeCloseTo(0.01, 9);
    expect(warning!.samplesPerBurst).toBeCloseTo(0.1, 9);
    expect(warning!.message).toMatch(/bursts of ~10\.0 ms .* 0\.10 samples each at one per 100 ms/);
  });

  it('prefers marker burst lengths; quiet when each burst gets enough samples', () => {
    const facts = { samplePeriodS: 0.001, observedS: 60, inferences: 60, averagePowerW: 0.002, minPowerW: 0.001, maxPowerW: 0.1 };
    expect(samplingWarning({ ...facts, markerBurstS: 0.005 })).toMatchObject({ burstBasis: 'markers', samplesPerBurst: 5 });
    expect(samplingWarning({ ...facts, markerBurstS: 0.05 })).toBeNull();
  });

  it('below two samples per inference cycle, says the cycle cannot be resolved; no inferences, no verdict', () => {
    const flat = { samplePeriodS: 1, observedS: 10, inferences: 40, averagePowerW: 0.01, minPowerW: 0.01, maxPowerW: 0.01 };
    expect(samplingWarning(flat)!.message).toMatch(/slower than half the inference period \(250 ms\)/);
    expect(samplingWarning({ ...flat, inferences: 0 })).toBeNull();
  });
});
