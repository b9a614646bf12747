import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../src/domain/types.js';
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
const stageOf = (result: ReturnType<typeof computeFootprint>, id: string) => {
  const found = result.stages.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no stage ${id}`);
  return found;
};

describe('ranges are consistent scenarios: every end is reachable', () => {
  // NUCLEO-H7A3ZI-Q at 166.3 mW (MLPerf Tiny v0.7): 4 370 Wh over 3 years wears out the small and typical packs.
  const H7_W = 0.1663;
  const at = (scenario: Scenario) =>
    computeFootprint(catalogue, { ...base, system: { base: 'kws-typical', scenario }, power: { kind: 'given', powerW: H7_W } });
  const main = computeFootprint(catalogue, { ...base, power: { kind: 'given', powerW: H7_W } });

  it('each scenario pairs its own pack with its own replacement count: 6 × 0.25 kg, 1 × 1.36 kg, 0 × 2.71 kg', () => {
    expect(at('min').battery).toMatchObject({ capacityWh: 1.44, replacements: 6, packKgCO2e: 0.25 });
    expect(at('typical').battery).toMatchObject({ capacityWh: 7.2, replacements: 1, packKgCO2e: 1.36 });
    expect(at('max').battery).toMatchObject({ capacityWh: 14.4, replacements: 0, packKgCO2e: 2.71 });
  });

  it('the replacement stage range ends are the large pack (0 kg) and the small pack (1.50 kg), each named', () => {
    const stage = stageOf(main, 'battery-replacements');
    expect(stage.range.min).toBe(stageOf(at('max'), 'battery-replacements').kgCO2e);
    expect(stage.range.max).toBeCloseTo(stageOf(at('min'), 'battery-replacements').kgCO2e, 12);
    expect(stage.range.max).toBeCloseTo(1.5, 12);
    expect(stage.provenance.note).toMatch(/range 0\.00 kg \(max scenario: 0 × 14\.4 Wh pack\) to 1\.50 kg \(min scenario: 6 × 1\.44 Wh pack\)/);
  });

  it('the total range is the lowest and highest scenario total, not the small pack with the large pack’s zero replacements', () => {
    const totals = (['min', 'typical', 'max'] as const).map((scenario) => at(scenario).totalKgCO2e);
    // min scenario: 0.78 kg hardware + 0.10 training + 6 × 0.25 packs + 1.89 use = 4.27 kg (the old range said 2.77)
    expect(main.totalRange.min).toBeCloseTo(Math.min(...totals), 12);
    expect(main.totalRange.min).toBeCloseTo(0.78 + 0.1 + 1.5 + H7_W * 26.28 * 0.433, 9);
    expect(main.totalRange.typical).toBeCloseTo(at('typical').totalKgCO2e, 12);
    // the max scenario plus end of life at 1 % of it
    expect(main.totalRange.max).toBeCloseTo(Math.max(...totals) * 1.01, 12);
    expect(main.totalRange.max).toBeCloseTo((5.52 + 0.1 + 0 + H7_W * 26.28 * 0.433) * 1.01, 9);
  });

  it('training is independent of the hardware: its own range adds to either end', () => {
    const vit = (scenario?: Scenario) =>
      computeFootprint(catalogue, { ...base, training: 'dodge:vit-tiny', system: scenario === undefined ? 'kws-typical' : { base: 'kws-typical', scenario } });
    const result = vit();
    expect(result.totalRange.min).toBeCloseTo(vit('min').totalKgCO2e - 1.7 * 0.755 + 1.7 * 0.2, 12);
  });
});
