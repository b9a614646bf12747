import { describe, expect, it } from 'vitest';

/** The browser modules are plain JS (not in the TypeScript project): their shapes as these tests use them. */
interface Grid {
  id: string;
  label: string;
  kgCO2ePerKWh: number;
  year: number | null;
  dataset: string;
  gas: string;
  scope: string;
}
const { fieldErrors } = (await import(new URL('../../dashboards/web/js/calculator/field-errors.js', import.meta.url).href)) as {
  fieldErrors: (problem: { detail: string; errors: string[] }) => { field: string | null; text: string }[];
};
const { filterGrids, gridOptionText } = (await import(new URL('../../dashboards/web/js/calculator/grid-picker.js', import.meta.url).href)) as {
  filterGrids: (query: string, grids: Grid[]) => Grid[];
  gridOptionText: (grid: Grid) => string;
};

describe('calculator field errors', () => {
  it('puts each of the query errors beside its field, in the words and unit of that field', () => {
    expect(
      fieldErrors({
        detail: 'invalid calculation query',
        errors: [
          'years: Too small: expected number to be >0',
          'trainingDevices: Too small: expected number to be >=1',
          'years: Too big: expected number to be <=100',
        ],
      }),
    ).toEqual([
      { field: 'years', text: 'Lifetime must be more than 0 years' },
      { field: 'trainingDevices', text: 'Devices per training run must be at least 1' },
      { field: 'years', text: 'Lifetime must be at most 100 years' },
    ]);
  });

  it('speaks mW for the power field, and keeps a message it cannot place for the general box', () => {
    expect(fieldErrors({ detail: 'power "-3mW" is negative', errors: [] })).toEqual([{ field: 'power', text: 'Average power must be at least 0 mW' }]);
    expect(fieldErrors({ detail: 'power "200000mW" is 200000 mW, above the 100000 mW (100 W) limit', errors: [] })).toEqual([
      { field: 'power', text: 'Average power is 200000 mW, above the 100000 mW (100 W) limit' },
    ]);
    expect(fieldErrors({ detail: 'unknown grid "XYZ"', errors: ['use epa, an Ember code such as FRA'] })).toEqual([
      { field: 'grid', text: 'unknown grid "XYZ"' },
      { field: null, text: 'use epa, an Ember code such as FRA' },
    ]);
  });
});

describe('grid picker search', () => {
  const grids: Grid[] = [
    { id: 'FRA', label: 'FRA (Ember 2024)', kgCO2ePerKWh: 0.04418, year: 2024, dataset: 'ember-yearly', gas: 'CO2e', scope: 'lifecycle' },
    { id: 'FRO', label: 'FRO (Ember 2022)', kgCO2ePerKWh: 0.354, year: 2022, dataset: 'ember-yearly', gas: 'CO2e', scope: 'lifecycle' },
    {
      id: 'em:FR',
      label: 'France (Electricity Maps 2024)',
      kgCO2ePerKWh: 0.033,
      year: 2024,
      dataset: 'electricity-maps-yearly-2024',
      gas: 'CO2e',
      scope: 'lifecycle',
    },
    { id: 'x', label: 'Somewhere', kgCO2ePerKWh: 0.5, year: null, dataset: 'other', gas: 'CO2', scope: 'direct' },
  ];

  it('matches every word of the query against code, name, source and year', () => {
    expect(filterGrids('', grids).map((g) => g.id)).toEqual(['FRA', 'FRO', 'em:FR', 'x']);
    expect(filterGrids('fr', grids).map((g) => g.id)).toEqual(['FRA', 'FRO', 'em:FR']);
    expect(filterGrids('fr 2024', grids).map((g) => g.id)).toEqual(['FRA', 'em:FR']);
    expect(filterGrids('ember 2022', grids).map((g) => g.id)).toEqual(['FRO']);
    expect(filterGrids('electricity maps', grids).map((g) => g.id)).toEqual(['em:FR']);
  });

  it('shows each entry with its year, added when its label lacks it', () => {
    expect(gridOptionText(grids[0]!)).toBe('FRA (Ember 2024) — 0.044 kg/kWh');
    expect(gridOptionText(grids[3]!)).toBe('Somewhere (year unknown) — 0.500 kg/kWh');
  });
});
