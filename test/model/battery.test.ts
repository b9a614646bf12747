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
    // min scenario: 0.78 kg hardware + 0.10 training + 6 × 0.25 packs + 1.89 use = 4.27 kg (the old range said 2.77);
    // each pack's own self-discharge (2 %/month at 50 % charge over 36 months) is in its scenario's use stage
    const useKg = (packWh: number) => ((H7_W * 26_280 + 0.02 * 0.5 * packWh * 36) / 1000) * 0.433;
    expect(main.totalRange.min).toBeCloseTo(Math.min(...totals), 12);
    expect(main.totalRange.min).toBeCloseTo(0.78 + 0.1 + 1.5 + useKg(1.44), 9);
    expect(main.totalRange.typical).toBeCloseTo(at('typical').totalKgCO2e, 12);
    // the max scenario plus end of life at 1 % of it
    expect(main.totalRange.max).toBeCloseTo(Math.max(...totals) * 1.01, 12);
    expect(main.totalRange.max).toBeCloseTo((5.52 + 0.1 + 0 + useKg(14.4)) * 1.01, 9);
  });

  it('training is independent of the hardware: its own range adds to either end', () => {
    const vit = (scenario?: Scenario) =>
      computeFootprint(catalogue, { ...base, training: 'dodge:vit-tiny', system: scenario === undefined ? 'kws-typical' : { base: 'kws-typical', scenario } });
    const result = vit();
    expect(result.totalRange.min).toBeCloseTo(vit('min').totalKgCO2e - 1.7 * 0.755 + 1.7 * 0.2, 12);
  });
});

describe('calendar ageing and self-discharge: labelled, cited assumptions a user can change', () => {
  const YEAR_S = 365 * 86_400;

  it('50 years at 1 mW: 61 cycles never wear a pack out, but calendar age does: 9 replacement packs', () => {
    const result = computeFootprint(catalogue, { ...base, lifetimeYears: 50 });
    const battery = result.battery!;
    // 438 Wh drawn + 43.2 Wh self-discharge over 50 years = 66.8 recharges of 7.2 Wh, far below 500 cycles
    expect(battery.recharges).toBeCloseTo((438 + 0.02 * 0.5 * 7.2 * 600) / 7.2, 9);
    expect(battery.calendarLifeYears).toBe(5);
    expect(battery.limitedBy).toBe('calendar');
    expect(battery.packLifeYears).toBeCloseTo(5, 12);
    expect(battery.replacements).toBe(9);
    expect(stageOf(result, 'battery-replacements').kgCO2e).toBeCloseTo(9 * 1.36, 12);
    expect(stageOf(result, 'battery-replacements').provenance.note).toMatch(/by calendar age, 5 years/);
  });

  it('the defaults name their sources: cycle life, calendar life (BU-808) and self-discharge (BU-802b) are assumptions', () => {
    const battery = computeFootprint(catalogue, base).battery!;
    expect(battery.sources.cycleLife.kind).toBe('assumption');
    expect(battery.sources.calendarLife).toMatchObject({ dataset: 'tinyml-footprint-assumptions', kind: 'assumption' });
    expect(battery.sources.calendarLife.citation).toMatch(/BU-808/);
    expect(battery.sources.selfDischarge.citation).toMatch(/BU-802b/);
    expect(battery).toMatchObject({ selfDischargePerMonth: 0.02, meanStateOfCharge: 0.5 });
    const notes = computeFootprint(catalogue, base).assumptions.join('\n');
    expect(notes).toMatch(/calendar life 5 years \(assumed\)/);
    expect(notes).toMatch(/self-discharge 2 % a month at a 50 % mean charge \(assumed\): 2\.59 Wh/);
  });

  it('a user can change both: a 20-year calendar life and no self-discharge give the seed’s energy and 2 packs over 50 years', () => {
    const result = computeFootprint(catalogue, { ...base, lifetimeYears: 50, battery: { calendarLifeYears: 20, selfDischargePerMonth: 0 } });
    const battery = result.battery!;
    expect(battery.replacements).toBe(2);
    expect(battery.selfDischargeWh).toBe(0);
    expect(result.use.gridEnergyWh).toBeCloseTo(438, 9);
    expect(battery.sources.calendarLife.kind).toBe('user');
    expect(battery.sources.selfDischarge.kind).toBe('user');
    expect(result.assumptions.some((note) => /self-discharge/.test(note))).toBe(false);
  });

  it('with self-discharge off, 3 years at 1 mW is the seed’s method exactly: 26.28 Wh, 3.65 recharges', () => {
    const result = computeFootprint(catalogue, { ...base, battery: { selfDischargePerMonth: 0 } });
    expect(result.use.gridEnergyWh).toBeCloseTo(26.28, 10);
    expect(result.use.kgCO2e).toBeCloseTo(0.02628 * 0.433, 12);
    expect(result.battery?.recharges).toBeCloseTo(3.65, 12);
  });

  it('cycles still win when they come first: 166.3 mW wears a 7.2 Wh pack out in 2.5 years', () => {
    const h7 = computeFootprint(catalogue, { ...base, power: { kind: 'given', powerW: 0.1663 } }).battery!;
    expect(h7.limitedBy).toBe('cycles');
    expect(h7.packLifeYears).toBeCloseTo((3 * 500) / h7.recharges, 12);
  });

  it('to date: 12 years into a 50-year deployment, 2 packs have aged out', () => {
    const result = computeFootprint(catalogue, { ...base, lifetimeYears: 50, elapsedS: 12 * YEAR_S });
    expect(result.accrued?.batteryReplacements).toBe(2);
    expect(result.battery?.replacements).toBe(9);
  });

  it('a device drawing nothing still empties its pack by self-discharge', () => {
    const idle = computeFootprint(catalogue, { ...base, power: { kind: 'given', powerW: 0 } }).battery!;
    expect(idle.rechargeIntervalH).toBeCloseTo(7.2 / ((0.02 * 0.5 * 7.2) / 730), 6);
    expect(idle.recharges).toBeCloseTo((0.02 * 0.5 * 7.2 * 36) / 7.2, 12);
  });

  it.each([
    ['a calendar life of 0', { calendarLifeYears: 0 }, /calendarLifeYears/],
    ['a calendar life given in days', { calendarLifeYears: 1825 }, /calendarLifeYears/],
    ['self-discharge given as a percent', { selfDischargePerMonth: 2 }, /selfDischargePerMonth/],
    ['negative self-discharge', { selfDischargePerMonth: -0.01 }, /selfDischargePerMonth/],
    ['non-finite self-discharge', { selfDischargePerMonth: Number.NaN }, /selfDischargePerMonth/],
  ])('rejects %s', (_name, battery, message) => {
    expect(() => computeFootprint(catalogue, { ...base, battery })).toThrow(message);
  });
});
