import { describe, expect, it } from 'vitest';
import { resolveGrid } from '../../src/catalogue/grid.js';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { ValidationError } from '../../src/domain/errors.js';
import { computeFootprint, footprintFromPlan, planFootprint, type FootprintInput } from '../../src/model/footprint.js';

const catalogue = buildCatalogue();
const EPA = resolveGrid('epa');
const base: FootprintInput = {
  system: 'kws-typical',
  trainingDevices: 1,
  lifetimeYears: 3,
  grid: EPA,
  chargerEfficiency: 1,
  power: { kind: 'assumed', powerW: 0.001 },
};
const stage = (result: ReturnType<typeof computeFootprint>, id: string) => {
  const found = result.stages.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no stage ${id}`);
  return found;
};

// Self-discharge (on by default): 2 % a month of the stored energy at a 50 % mean charge, recharged from the grid.
// Over 3 years (36 months) the 7.2 Wh pack loses 0.02 × 0.5 × 7.2 × 36 = 2.592 Wh; its power is 0.072 Wh per 730 h.
const SELF_DISCHARGE_WH = 0.02 * 0.5 * 7.2 * 36;
const SELF_DISCHARGE_W = (0.02 * 0.5 * 7.2) / 730;

describe('worked example: kws-typical measured at 27.2 mW (NUCLEO-U575ZI-Q, MLPerf Tiny v0.7 KWS)', () => {
  const measured = computeFootprint(catalogue, {
    ...base,
    power: { kind: 'measured', powerW: 0.0272, observedS: 3600, samples: 36_000, windows: 360 },
  });

  it('the device draws 27.2× the assumption: 714.8 Wh, plus 2.6 Wh of self-discharge, 0.31 kg at 0.433 kg/kWh', () => {
    expect(measured.use.deviceEnergyWh).toBeCloseTo(714.816, 6);
    expect(measured.use.selfDischargeWh).toBeCloseTo(SELF_DISCHARGE_WH, 9);
    expect(measured.use.gridEnergyWh).toBeCloseTo(714.816 + SELF_DISCHARGE_WH, 9);
    expect(measured.use.kgCO2e).toBeCloseTo((0.714816 + SELF_DISCHARGE_WH / 1000) * 0.433, 9);
    expect(measured.comparison.assumed.useKgCO2e).toBeCloseTo((0.02628 + SELF_DISCHARGE_WH / 1000) * 0.433, 9);
    expect(measured.comparison.assumed.useKgCO2e).toBeCloseTo(0.0125, 4);
  });

  it('the 7.2 Wh battery is recharged ~99.6 times (every 11 days) instead of 4.0 (every 273 days)', () => {
    expect(measured.battery?.recharges).toBeCloseTo((714.816 + SELF_DISCHARGE_WH) / 7.2, 9);
    expect(measured.battery?.recharges).toBeCloseTo(99.64, 2);
    expect(measured.battery?.rechargeIntervalH).toBeCloseTo(7.2 / (0.0272 + SELF_DISCHARGE_W), 6);
    expect((measured.battery?.rechargeIntervalH ?? 0) / 24).toBeCloseTo(10.99, 2);
    const assumed = computeFootprint(catalogue, base).battery;
    expect(assumed?.recharges).toBeCloseTo(4.01, 2);
    expect((assumed?.rechargeIntervalH ?? 0) / 24).toBeCloseTo(273.1, 1);
    expect(measured.battery?.replacements).toBe(0);
  });

  it('total rises from 2.66 to 2.96 kg, and the power is labelled measured', () => {
    expect(measured.totalKgCO2e).toBeCloseTo(2.65 + (0.714816 + SELF_DISCHARGE_WH / 1000) * 0.433, 9);
    expect(measured.comparison.assumed.totalKgCO2e).toBeCloseTo(2.65 + (0.02628 + SELF_DISCHARGE_WH / 1000) * 0.433, 9);
    expect(Math.round(measured.totalKgCO2e * 100) / 100).toBe(2.96);
    expect(Math.round(measured.comparison.assumed.totalKgCO2e * 100) / 100).toBe(2.66);
    expect(measured.power.kind).toBe('measured');
    expect(measured.power.provenance.kind).toBe('measured');
    expect(measured.assumptions.some((text) => text.includes('assumed at'))).toBe(false);
  });

  it('at 166.3 mW (NUCLEO-H7A3ZI-Q) the pack passes 500 cycles and one replacement pack is added: 5.90 kg', () => {
    const h7 = computeFootprint(catalogue, { ...base, power: { kind: 'measured', powerW: 0.1663, observedS: 60, samples: 600, windows: 6 } });
    expect(h7.battery?.recharges).toBeCloseTo((4370.364 + SELF_DISCHARGE_WH) / 7.2, 9);
    expect(h7.battery?.recharges).toBeCloseTo(607.4, 1);
    expect(h7.battery?.replacements).toBe(1);
    expect(h7.battery?.limitedBy).toBe('cycles');
    expect(stage(h7, 'battery-replacements').kgCO2e).toBeCloseTo(1.36, 12);
    expect(stage(h7, 'use').kgCO2e).toBeCloseTo((4.370364 + SELF_DISCHARGE_WH / 1000) * 0.433, 9);
    expect(Math.round(stage(h7, 'use').kgCO2e * 100) / 100).toBe(1.89);
    expect(Math.round(h7.totalKgCO2e * 100) / 100).toBe(5.9);
  });

  it("the replacement range pairs each scenario's pack with its own capacity: 6 small packs, 1 typical, 0 large", () => {
    const h7 = computeFootprint(catalogue, { ...base, power: { kind: 'measured', powerW: 0.1663, observedS: 60, samples: 600, windows: 6 } });
    // 4 370.4 Wh over 3 years: 1.44 Wh → 3 035 cycles → 6 × 0.25 kg; 7.2 Wh → 1 × 1.36 kg; 14.4 Wh → 304 cycles → 0
    const range = stage(h7, 'battery-replacements').range;
    expect(range.min).toBe(0);
    expect(range.typical).toBeCloseTo(1.36, 12);
    expect(range.max).toBeCloseTo(1.5, 12);
  });
});

describe('model inputs', () => {
  it('shares training among the devices that use the model', () => {
    const result = computeFootprint(catalogue, { ...base, trainingDevices: 1000 });
    expect(stage(result, 'training').kgCO2e).toBeCloseTo(0.0001, 12);
    expect(result.training.runKgCO2e).toBe(0.1);
  });

  it('mobilenetv1 training preset is 1.0 kg; dodge:vit-tiny is 1.7 kWh × 0.755', () => {
    expect(stage(computeFootprint(catalogue, { ...base, training: 'mobilenetv1' }), 'training').kgCO2e).toBe(1);
    const vit = stage(computeFootprint(catalogue, { ...base, training: 'dodge:vit-tiny' }), 'training');
    expect(vit.kgCO2e).toBeCloseTo(1.2835, 10);
    expect(vit.range.min).toBeCloseTo(0.34, 10);
  });

  it('a grid by country changes only the use stage (France, Ember)', () => {
    const fra = computeFootprint(catalogue, { ...base, grid: resolveGrid('FRA') });
    expect(fra.grid.kgCO2ePerKWh).toBeCloseTo(0.04418, 10);
    expect(stage(fra, 'use').kgCO2e).toBeCloseTo((0.02628 + SELF_DISCHARGE_WH / 1000) * 0.04418, 12);
    expect(fra.grid.provenance.dataset).toBe('ember-yearly');
  });

  it('charger efficiency scales grid energy', () => {
    const result = computeFootprint(catalogue, { ...base, chargerEfficiency: 0.8 });
    expect(result.use.gridEnergyWh).toBeCloseTo((26.28 + SELF_DISCHARGE_WH) / 0.8, 10);
  });

  it('a custom system overrides a block level or value and is labelled custom', () => {
    const custom = computeFootprint(catalogue, { ...base, system: { base: 'kws-typical', blocks: { processing: { level: 1 }, casing: { kgCO2e: 0.5 } } } });
    expect(custom.system.id).toBe('custom');
    expect(stage(custom, 'processing').kgCO2e).toBe(0.66);
    expect(stage(custom, 'processing').provenance.kind).toBe('derived');
    expect(stage(custom, 'casing').kgCO2e).toBe(0.5);
    expect(stage(custom, 'casing').provenance.kind).toBe('user');
  });

  it('a mains-powered system has no battery and no recharges', () => {
    const mains = computeFootprint(catalogue, { ...base, system: { blocks: { 'power-supply': { level: 0 } } } });
    expect(mains.battery).toBeNull();
    expect(stage(mains, 'power-supply').kgCO2e).toBe(0.52);
  });

  it.each([0.001, 0.0272, 0.1663, 2])('ranges bracket the value at %f W: min ≤ value ≤ max, end of life max is 1 % of the rest', (powerW) => {
    const result = computeFootprint(catalogue, { ...base, power: { kind: 'given', powerW } });
    for (const entry of result.stages) {
      expect(entry.range.min).toBeLessThanOrEqual(entry.kgCO2e);
      expect(entry.range.max).toBeGreaterThanOrEqual(entry.kgCO2e);
    }
    expect(result.totalRange.typical).toBeCloseTo(result.totalKgCO2e, 12);
    const eol = stage(result, 'end-of-life');
    expect(eol.range.max).toBeCloseTo((result.totalRange.max - eol.range.max) * 0.01, 12);
  });

  it('accrued to date: hardware, transport and training up front, use as time passes', () => {
    const year = 365 * 86400;
    const result = computeFootprint(catalogue, {
      ...base,
      elapsedS: year,
      power: { kind: 'measured', powerW: 0.0272, observedS: 100, samples: 100, windows: 1 },
    });
    expect(result.accrued?.fractionOfLifetime).toBeCloseTo(1 / 3, 12);
    expect(result.accrued?.upfrontKgCO2e).toBeCloseTo(2.65, 10);
    expect(result.accrued?.useKgCO2e).toBeCloseTo(result.use.kgCO2e / 3, 12);
    const beyond = computeFootprint(catalogue, { ...base, elapsedS: 10 * year });
    expect(beyond.accrued?.elapsedS).toBe(3 * year);
  });

  it('compares with the reference devices', () => {
    const result = computeFootprint(catalogue, base);
    const watch = result.comparison.referenceDevices.find((device) => device.id === 'apple-watch-s7');
    expect(watch?.kgCO2e).toBe(34);
    expect(watch?.ratio).toBeCloseTo(result.totalKgCO2e / 34, 12);
  });

  it.each([
    ['unknown system', { system: 'toaster' }, /unknown system "toaster"/],
    ['negative power', { power: { kind: 'assumed', powerW: -1 } }, /power/],
    ['non-finite power', { power: { kind: 'measured', powerW: Number.NaN, observedS: 1, samples: 1, windows: 1 } }, /power/],
    ['absurd lifetime', { lifetimeYears: 1000 }, /lifetimeYears/],
    ['zero lifetime', { lifetimeYears: 0 }, /lifetimeYears/],
    ['unknown training', { training: 'gpt-5' }, /unknown training/],
    ['unknown block', { system: { blocks: { wheels: { level: 0 } } } }, /unknown block/],
    ['missing level', { system: { blocks: { casing: { level: 9 } } } }, /no level 9/],
    ['unquantified level', { system: { blocks: { casing: { level: 2 } } } }, /not quantified/],
    ['zero charger efficiency', { chargerEfficiency: 0 }, /chargerEfficiency/],
    ['subnormal charger efficiency', { chargerEfficiency: 5e-324 }, /chargerEfficiency/],
    ['subnormal battery capacity', { battery: { capacityWh: 5e-324 } }, /capacityWh/],
    ['subnormal cycle life', { battery: { cycleLife: 5e-324 } }, /cycleLife/],
    ['huge custom training', { training: 'custom:1e308' }, /custom value/],
    ['empty custom training', { training: 'custom:' }, /custom value/],
  ] as const)('rejects %s with a ValidationError', (_name, patch, message) => {
    expect(() => computeFootprint(catalogue, { ...base, ...(patch as Partial<FootprintInput>) })).toThrow(ValidationError);
    expect(() => computeFootprint(catalogue, { ...base, ...(patch as Partial<FootprintInput>) })).toThrow(message);
  });

  it('rejects unknown grids and out-of-range custom factors', () => {
    expect(() => resolveGrid('ATLANTIS')).toThrow(/unknown grid/);
    expect(() => resolveGrid('custom:-1')).toThrow(ValidationError);
    expect(resolveGrid('offgrid:0').kgCO2ePerKWh).toBe(0);
    expect(resolveGrid('em:FR').provenance.dataset).toBe('electricity-maps-yearly-2024');
  });
});

describe('a plan of one spec serves every power', () => {
  it('footprintFromPlan equals computeFootprint at each power and time, reused in any order (the plan is not changed by use)', () => {
    for (const spec of [
      { ...base, battery: { capacityWh: 0.5, cycleLife: 50 } },
      { ...base, system: 'ic-typical', lifetimeYears: 10 },
      { ...base, system: { base: 'kws-typical', blocks: { casing: { kgCO2e: 0.3 } } } },
    ]) {
      const { power: _power, ...specOnly } = spec;
      const plan = planFootprint(catalogue, specOnly);
      const before = JSON.stringify(plan);
      for (const power of [
        { kind: 'measured' as const, powerW: 0.1663, observedS: 60, samples: 600, windows: 6 },
        { kind: 'assumed' as const, powerW: catalogue.assumptions.assumedPowerW },
        { kind: 'given' as const, powerW: 0 },
      ])
        for (const elapsedS of [undefined, 0, 86_400 * 400, 1e12]) {
          expect(footprintFromPlan(catalogue, plan, power, elapsedS)).toEqual(
            computeFootprint(catalogue, { ...spec, power, ...(elapsedS === undefined ? {} : { elapsedS }) }),
          );
        }
      expect(JSON.stringify(plan)).toBe(before);
    }
  });

  it('refuses what computeFootprint refuses: a bad spec when planned, a bad power or time when applied', () => {
    expect(() => planFootprint(catalogue, { ...base, lifetimeYears: 0 })).toThrow(ValidationError);
    const plan = planFootprint(catalogue, base);
    expect(() => footprintFromPlan(catalogue, plan, { kind: 'given', powerW: -1 })).toThrow(ValidationError);
    expect(() => footprintFromPlan(catalogue, plan, { kind: 'given', powerW: 0.01 }, Number.NaN)).toThrow(ValidationError);
  });
});
