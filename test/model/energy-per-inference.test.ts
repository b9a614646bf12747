import { describe, expect, it } from 'vitest';
import { aggregateEnergyPerInference, median, medianEnergyPerInference } from '../../src/model/energy-per-inference.js';

describe('energy per inference', () => {
  it('median: middle value, mean of the middle two for an even count, input left alone', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('MLPerf Tiny: each window’s energy over its inferences, then the median (the results.txt example)', () => {
    // tiny_results_v0.7 NUCLEO-H7A3ZI-Q ic: window 2 is 1 791 305.3 µJ over 11.27 s; 160 inferences gives 11 195.658 µJ/inf.
    const windows = [
      { energyJ: 1.7913053, inferenceCount: 160, durationS: 11.27 },
      { energyJ: 1.79, inferenceCount: 160, durationS: 11.26 },
      { energyJ: 1.795, inferenceCount: 160, durationS: 11.28 },
    ];
    const result = medianEnergyPerInference(windows)!;
    expect(result.basis).toBe('per-window-median');
    expect(result.perWindowJ[0]! * 1e6).toBeCloseTo(11_195.658, 3);
    expect(result.energyPerInferenceJ).toBe(1.7913053 / 160);
    expect(result).toMatchObject({ windows: 3, inferences: 480 });
    expect(result.averagePowerW).toBeCloseTo((1.7913053 + 1.79 + 1.795) / (11.27 + 11.26 + 11.28), 12);
  });

  it('the median ignores one outlier window; windows without inferences are left out; none: null', () => {
    const windows = [
      { energyJ: 1, inferenceCount: 10, durationS: 1 },
      { energyJ: 1.1, inferenceCount: 10, durationS: 1 },
      { energyJ: 50, inferenceCount: 10, durationS: 1 },
      { energyJ: 3, inferenceCount: 0, durationS: 1 },
    ];
    expect(medianEnergyPerInference(windows)!.energyPerInferenceJ).toBeCloseTo(0.11, 12);
    expect(medianEnergyPerInference(windows)!.windows).toBe(3);
    expect(medianEnergyPerInference([{ energyJ: 3, inferenceCount: 0, durationS: 1 }])).toBeNull();
  });

  it('aggregate: all the energy (idle included) over the inferences counted, and says so', () => {
    expect(aggregateEnergyPerInference({ energyJ: 12, inferences: 400, windows: 4, observedS: 40 })).toEqual({
      basis: 'aggregate',
      energyPerInferenceJ: 0.03,
      perWindowJ: [],
      windows: 4,
      inferences: 400,
      averagePowerW: 0.3,
    });
    expect(aggregateEnergyPerInference({ energyJ: 12, inferences: 0, windows: 4, observedS: 40 })).toBeNull();
  });
});
