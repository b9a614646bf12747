import { describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { resolveGrid } from '../../src/catalogue/grid.js';
import { computeFootprint } from '../../src/model/footprint.js';
import seedJson from '../../data/seed-table.json' with { type: 'json' };
import { round2, seedColumns } from '../helpers/seed-table.js';

const catalogue = buildCatalogue();

describe('the seed table (harvard-edge/TinyML-Footprint, 1 mW for 3 years)', () => {
  for (const grid of ['epa', 'epa-egrid2019', 'epa-egrid2021', 'epa-egrid2022']) {
    for (const column of seedColumns()) {
      it(`${column.system} reproduces every row and the total at 2 decimals (${grid})`, () => {
        const result = computeFootprint(catalogue, {
          system: column.system,
          trainingDevices: 1,
          lifetimeYears: 3,
          grid: resolveGrid(grid),
          chargerEfficiency: 1,
          power: { kind: 'assumed', powerW: 0.001 },
        });
        const byId = Object.fromEntries(result.stages.map((stage) => [stage.id, round2(stage.kgCO2e)]));
        expect(byId['battery-replacements']).toBe(0);
        delete byId['battery-replacements'];
        expect(byId).toEqual(column.rows);
        expect(round2(result.totalKgCO2e)).toBe(column.total);
        expect(result.power.kind).toBe('assumed');
        expect(result.assumptions[0]).toMatch(/assumed at 1 mW/);
      });
    }
  }

  it('1 mW for 3 years is 26.28 Wh, as in the seed; the 7.2 Wh pack self-discharges another 2.592 Wh', () => {
    const result = computeFootprint(catalogue, {
      system: 'kws-typical',
      trainingDevices: 1,
      lifetimeYears: 3,
      grid: resolveGrid('epa'),
      chargerEfficiency: 1,
      power: { kind: 'assumed', powerW: 0.001 },
    });
    expect(result.use.deviceEnergyWh).toBeCloseTo(26.28, 10);
    expect(result.use.selfDischargeWh).toBeCloseTo(0.02 * 0.5 * 7.2 * 36, 10);
    expect(result.use.kgCO2e).toBeCloseTo((26.28 + 2.592) * 1e-3 * 0.433, 12);
  });
});

describe("the seed's unrounded use stage and ours (both round to the table's 0.01 kg)", () => {
  const SEED_DEVICE_WH = 26.28;
  const unrounded = seedJson.unrounded;
  const ours = (battery?: { selfDischargePerMonth: number }) =>
    computeFootprint(catalogue, {
      system: 'kws-typical',
      trainingDevices: 1,
      lifetimeYears: 3,
      grid: resolveGrid('epa'),
      chargerEfficiency: 1,
      power: { kind: 'assumed', powerW: 0.001 },
      ...(battery === undefined ? {} : { battery }),
    });

  it('the seed published 0.01082880496 kg: 0.41205 kg/kWh on 26.28 Wh, which is no EPA vintage', () => {
    expect(unrounded.useKgCO2e).toBe(0.01082880496);
    const impliedKgPerKWh = unrounded.useKgCO2e / (SEED_DEVICE_WH / 1000);
    expect(impliedKgPerKWh).toBeCloseTo(0.41205, 5);
    for (const vintage of ['epa-egrid2019', 'epa-egrid2021', 'epa-egrid2022']) {
      expect(Math.abs(resolveGrid(vintage).kgCO2ePerKWh - impliedKgPerKWh)).toBeGreaterThan(0.004);
    }
    unrounded.totals.forEach((total, index) => expect(round2(total)).toBe(seedJson.totals[index]));
  });

  it('ours by default: 0.012501576 kg = (26.28 Wh drawn + 2.592 Wh self-discharge) × 0.433 kg/kWh (EPA eGRID2019, in force in 2022)', () => {
    const use = ours().use;
    expect(use.gridEnergyWh).toBeCloseTo(28.872, 12);
    expect(use.kgCO2e).toBeCloseTo(0.012501576, 15);
    expect(round2(use.kgCO2e)).toBe(round2(unrounded.useKgCO2e));
    expect(use.kgCO2e / unrounded.useKgCO2e - 1).toBeCloseTo(0.1545, 4);
  });

  it("with the seed's method (no self-discharge): 0.01137924 kg = 26.28 Wh × 0.433 kg/kWh, +5.1 % over the seed's", () => {
    const use = ours({ selfDischargePerMonth: 0 }).use;
    expect(use.kgCO2e).toBeCloseTo(0.01137924, 15);
    expect(round2(use.kgCO2e)).toBe(0.01);
    expect(use.kgCO2e / unrounded.useKgCO2e - 1).toBeCloseTo(0.0508, 4);
  });
});
