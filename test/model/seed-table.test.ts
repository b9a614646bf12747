import { describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { resolveGrid } from '../../src/catalogue/grid.js';
import { computeFootprint } from '../../src/model/footprint.js';
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
      system: 'kws-typical', trainingDevices: 1, lifetimeYears: 3, grid: resolveGrid('epa'), chargerEfficiency: 1,
      power: { kind: 'assumed', powerW: 0.001 },
    });
    expect(result.use.deviceEnergyWh).toBeCloseTo(26.28, 10);
    expect(result.use.selfDischargeWh).toBeCloseTo(0.02 * 0.5 * 7.2 * 36, 10);
    expect(result.use.kgCO2e).toBeCloseTo((26.28 + 2.592) * 1e-3 * 0.433, 12);
  });
});
