import { describe, expect, it } from 'vitest';
import { applyObserved, FleetSums, type SumContribution, type ObservedSums } from '../../src/service/fleet-sums.js';

const row = (energyJ: number, observedS: number): SumContribution => ({
  error: false,
  measured: observedS > 0,
  totalKgCO2e: 1,
  totalRange: { min: 0.5, typical: 1, max: 2 },
  assumedTotalKgCO2e: 1,
  accruedKgCO2e: 0,
  energyJ,
  observedS,
});

describe('fleet running sums', () => {
  it('take out exactly what they added, and are exactly 0 again once no device adds energy or observed time', () => {
    const sums = new FleetSums();
    sums.apply(row(0.1, 10), 1);
    sums.apply(row(0.2, 10), 1);
    sums.apply(row(0.1, 10), -1);
    sums.apply(row(0.2, 10), -1);
    expect([sums.energyJ, sums.observedS, sums.devices]).toEqual([0, 0, 0]);
  });

  // A read of InfluxDB that overlaps a write can count a window in one function and not in another (InfluxDB 1.x
  // reads each function of a statement apart): an aggregate with energy but no observed time yet, for one pass.
  it('keep the energy of a device that has energy but no observed time, added while no other device had observed time', () => {
    const sums: ObservedSums = { energyJ: 0, observedS: 0, observed: 0 };
    const torn = { energyJ: 0.3, observedS: 0 };
    const other = { energyJ: 1, observedS: 100 };
    applyObserved(sums, torn, 1);
    applyObserved(sums, other, 1);
    expect(sums.energyJ).toBeCloseTo(1.3, 12);
    // the torn read corrected: its old contribution out, the new one in
    applyObserved(sums, torn, -1);
    applyObserved(sums, { energyJ: 0.6, observedS: 20 }, 1);
    expect(sums.energyJ).toBeCloseTo(1.6, 12);
    expect(sums.observedS).toBe(120);
  });
});
