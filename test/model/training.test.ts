import { describe, expect, it } from 'vitest';
import { resolveGrid } from '../../src/catalogue/grid.js';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { computeFootprint, type FootprintInput } from '../../src/model/footprint.js';

const catalogue = buildCatalogue();
const base: FootprintInput = {
  system: 'kws-typical',
  trainingDevices: 1,
  lifetimeYears: 3,
  grid: resolveGrid('epa'),
  chargerEfficiency: 1,
  power: { kind: 'assumed', powerW: 0.001 },
};
const training = (input: Partial<FootprintInput>) => {
  const result = computeFootprint(catalogue, { ...base, ...input });
  return { stage: result.stages.find((stage) => stage.id === 'training')!, summary: result.training };
};

describe('training does not scale with the hardware scenario', () => {
  // DenseNet 201: 0.04 kWh (Dodge et al. 2022, Table 2) × 0.755 kg/kWh, the upper end of the paper's grid range.
  const DENSENET_201_KG = 0.04 * 0.755;

  it.each(['kws-best', 'kws-typical', 'ic-worst'])('dodge:densenet-201 is 0.04 kWh × 0.755 = 0.0302 kg for %s', (system) => {
    const { stage, summary } = training({ system, training: 'dodge:densenet-201' });
    expect(stage.kgCO2e).toBeCloseTo(DENSENET_201_KG, 12);
    expect(stage.range.min).toBeCloseTo(0.04 * 0.2, 12);
    expect(stage.range.max).toBeCloseTo(DENSENET_201_KG, 12);
    expect(summary.runKgCO2e).toBeCloseTo(DENSENET_201_KG, 12);
    expect(summary.kgCO2e).toBeCloseTo(DENSENET_201_KG, 12);
  });

  it('a custom system at the min scenario keeps the training value too, shared among devices', () => {
    const { stage } = training({ system: { base: 'kws-typical', scenario: 'min' }, training: 'dodge:vit-tiny', trainingDevices: 10 });
    expect(stage.kgCO2e).toBeCloseTo((1.7 * 0.755) / 10, 12);
  });
});
