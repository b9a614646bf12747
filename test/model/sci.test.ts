import { describe, expect, it } from 'vitest';
import type { GridFactor } from '../../src/model/catalogue-types.js';
import { sciPerInference } from '../../src/model/sci.js';

const grid: GridFactor = {
  id: 'TEST',
  label: 'test grid',
  kgCO2ePerKWh: 0.5,
  gas: 'CO2e',
  scope: 'lifecycle',
  year: 2024,
  provenance: { dataset: 'test', kind: 'user', citation: 'test' },
};
const YEAR_S = 31_536_000;

describe('SCI per inference: (E·I + M) per R', () => {
  it('names each term and adds them (worked example)', () => {
    const sci = sciPerInference({
      energyPerInferenceJ: 100e-6,
      energyBasis: 'per-window-median',
      chargerEfficiency: 0.8,
      grid,
      hardwareKgCO2e: 1,
      trainingKgCO2e: 0.5,
      lifetimeS: YEAR_S,
      inferencesPerS: 10,
      rateBasis: 'given',
    })!;
    // E: 100 µJ at the device, 125 µJ from the grid = 125e-6 / 3.6e6 kWh.
    expect(sci.E.gridEnergyPerInferenceKWh).toBeCloseTo(125e-6 / 3.6e6, 20);
    // E·I: × 0.5 kg/kWh.
    expect(sci.operationalKgCO2ePerInference).toBeCloseTo(1.7361111e-11, 17);
    // M: 1 kg over 10/s × 1 year = 315 360 000 inferences; TiR = 0.1 s, EL = 1 year.
    expect(sci.M).toMatchObject({ hardwareKgCO2e: 1, timeReservedS: 0.1, expectedLifespanS: YEAR_S, resourceShare: 1 });
    expect(sci.M.kgCO2ePerInference).toBeCloseTo(1 / 315_360_000, 20);
    expect(sci.R).toEqual({ inferencesPerS: 10, basis: 'given', lifetimeInferences: 315_360_000 });
    expect(sci.kgCO2ePerInference).toBeCloseTo(1 / 315_360_000 + 1.7361111e-11, 17);
    expect(sci.trainingKgCO2ePerInference).toBeCloseTo(0.5 / 315_360_000, 20);
    expect(sci.E.selfDischargeJPerInference).toBe(0);
  });

  it("E includes the battery's self-discharge over the time one inference reserves", () => {
    const sci = sciPerInference({
      energyPerInferenceJ: 100e-6,
      energyBasis: 'aggregate',
      chargerEfficiency: 0.5,
      selfDischargeW: 20e-6,
      grid,
      hardwareKgCO2e: 0,
      trainingKgCO2e: 0,
      lifetimeS: YEAR_S,
      inferencesPerS: 2,
      rateBasis: 'measured',
    })!;
    // 20 µW for 0.5 s = 10 µJ; (100 + 10) µJ / 0.5 = 220 µJ from the grid.
    expect(sci.E.selfDischargeJPerInference).toBeCloseTo(10e-6, 18);
    expect(sci.E.gridEnergyPerInferenceKWh).toBeCloseTo(220e-6 / 3.6e6, 20);
    expect(sci.I).toMatchObject({ gridId: 'TEST', kgCO2ePerKWh: 0.5 });
  });

  it('doubling the rate halves M per inference and leaves E·I alone', () => {
    const base = {
      energyPerInferenceJ: 1e-3,
      energyBasis: 'aggregate' as const,
      chargerEfficiency: 1,
      grid,
      hardwareKgCO2e: 2,
      trainingKgCO2e: 0,
      lifetimeS: YEAR_S,
      rateBasis: 'measured' as const,
    };
    const slow = sciPerInference({ ...base, inferencesPerS: 1 })!;
    const fast = sciPerInference({ ...base, inferencesPerS: 2 })!;
    expect(fast.M.kgCO2ePerInference).toBeCloseTo(slow.M.kgCO2ePerInference / 2, 20);
    expect(fast.operationalKgCO2ePerInference).toBe(slow.operationalKgCO2ePerInference);
  });

  it('no functional unit without a positive rate', () => {
    const input = {
      energyPerInferenceJ: 1e-3,
      energyBasis: 'aggregate' as const,
      chargerEfficiency: 1,
      grid,
      hardwareKgCO2e: 2,
      trainingKgCO2e: 0,
      lifetimeS: YEAR_S,
      rateBasis: 'measured' as const,
    };
    expect(sciPerInference({ ...input, inferencesPerS: 0 })).toBeNull();
    expect(sciPerInference({ ...input, inferencesPerS: Number.NaN })).toBeNull();
  });
});
