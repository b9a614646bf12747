/** The fleet's fast figures are computeFootprint's numbers, bit for bit, over every preset and the inputs that move them. */
import { describe, expect, it } from 'vitest';
import { resolveGrid } from '../../src/catalogue/grid.js';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { ValidationError } from '../../src/domain/errors.js';
import type { BatteryInput, SystemChoice } from '../../src/domain/types.js';
import { accruedFigures, accruedKgCO2e, lifetimeFigures, planFigures } from '../../src/model/footprint-figures.js';
import { computeFootprint, type FootprintInput } from '../../src/model/footprint.js';

const catalogue = buildCatalogue();
const SYSTEMS: SystemChoice[] = [
  ...catalogue.systems.map((system) => system.id),
  { base: 'ic-typical', scenario: 'max', blocks: { processing: { level: 1 }, casing: { kgCO2e: 0.5 } } },
];
const GRIDS = ['epa', 'custom:0.9'];
const BATTERIES: (BatteryInput | undefined)[] = [
  undefined,
  { selfDischargePerMonth: 0 },
  { capacityWh: 0.5, cycleLife: 50 },
  { calendarLifeYears: 0.5, packKgCO2e: 2 },
];
/** From idle to the 100 W bound: battery replacements step in between (27.2 mW and 166.3 mW are the README's boards). */
const POWERS_W = [0, 1e-6, 0.001, 0.0272, 0.1663, 2.5, 100];
const ELAPSED_S = [0, 2 * 365.25 * 86_400, 60 * 365.25 * 86_400];

/** Milliseconds: about 1 300 full computeFootprint calls; ~1 s on an idle machine, five times that on a shared, busy one. */
const EXHAUSTIVE_TIMEOUT_MS = 30_000;

describe('footprint figures (the fleet rows) equal computeFootprint', () => {
  it('for every preset, grid, battery, lifetime, power and time since deployment', { timeout: EXHAUSTIVE_TIMEOUT_MS }, () => {
    const differences: unknown[] = [];
    let cases = 0;
    let replaced = 0;
    for (const system of SYSTEMS)
      for (const grid of GRIDS)
        for (const battery of BATTERIES)
          for (const [lifetimeYears, trainingDevices, chargerEfficiency] of [
            [3, 1, 1],
            [10, 1000, 0.8],
          ] as const) {
            const input: Omit<FootprintInput, 'power'> = {
              system,
              training: 'densenet',
              trainingDevices,
              lifetimeYears,
              grid: resolveGrid(grid),
              chargerEfficiency,
              ...(battery === undefined ? {} : { battery }),
            };
            const plan = planFigures(catalogue, input);
            for (const powerW of POWERS_W) {
              const lifetime = lifetimeFigures(plan, powerW);
              for (const elapsedS of ELAPSED_S) {
                const full = computeFootprint(catalogue, { ...input, power: { kind: 'measured', powerW, observedS: 10, samples: 1, windows: 1 }, elapsedS });
                const fast = [lifetime.totalKgCO2e, ...Object.values(lifetime.totalRange), lifetime.useKgCO2e, lifetime.batteryReplacements];
                const slow = [full.totalKgCO2e, ...Object.values(full.totalRange), full.use.kgCO2e, full.battery?.replacements ?? 0];
                fast.push(plan.assumedTotalKgCO2e, accruedKgCO2e(plan, powerW, elapsedS));
                slow.push(full.comparison.assumed.totalKgCO2e, full.accrued!.kgCO2e);
                fast.push(...Object.values(accruedFigures(plan, powerW, elapsedS)));
                slow.push(...Object.values(full.accrued!));
                if (fast.some((value, index) => !Object.is(value, slow[index]))) differences.push({ system, grid, battery, powerW, elapsedS, fast, slow });
                if (lifetime.batteryReplacements > 0) replaced += 1;
                cases += 1;
              }
            }
          }
    expect(differences).toEqual([]);
    // the battery steps were crossed: some cases replaced packs, most did not
    expect(replaced).toBeGreaterThan(0);
    expect(replaced).toBeLessThan(cases);
    expect(cases).toBe(SYSTEMS.length * GRIDS.length * BATTERIES.length * 2 * POWERS_W.length * ELAPSED_S.length);
  });

  it('refuses what computeFootprint refuses', () => {
    const input = { system: 'kws-typical', training: 'densenet', trainingDevices: 1, lifetimeYears: 3, grid: resolveGrid('epa'), chargerEfficiency: 1 };
    expect(() => planFigures(catalogue, { ...input, system: 'no-such-system' })).toThrow(ValidationError);
    expect(() => lifetimeFigures(planFigures(catalogue, input), 101)).toThrow(ValidationError);
    expect(() => lifetimeFigures(planFigures(catalogue, input), Number.NaN)).toThrow(ValidationError);
  });
});
