import { readFileSync } from 'node:fs';
import { averageIntensity } from '@tgwf/co2/data';
import { describe, expect, it } from 'vitest';
import epaJson from '../../data/epa-electricity-consumed.json' with { type: 'json' };
import emberYearsJson from '../../data/ember-years-tgwf-co2.json' with { type: 'json' };
import { CO2JS_VERSION, epaTonnesCO2PerKWh, listGridZones, resolveGrid } from '../../src/catalogue/grid.js';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { computeFootprint } from '../../src/model/footprint.js';

describe('EPA factors follow from their own derivation', () => {
  it('eGRID2022: 823.1 lb CO2/MWh / 2 204.6 lb/t / (1 − 0.051) = 3.934e-4 t/kWh, so 3.93e-4, not the stated 3.94e-4', () => {
    const derived = epaTonnesCO2PerKWh({ lbCO2PerMWh: 823.1, lbPerTonne: 2204.6, gridLossFraction: 0.051 });
    expect(derived).toBeCloseTo(3.9342e-4, 8);
    const grid = resolveGrid('epa-egrid2022');
    expect(grid.kgCO2ePerKWh).toBeCloseTo(0.393, 12);
    expect(grid.provenance.kind).toBe('derived');
    expect(grid.provenance.note).toMatch(/states 3\.94e-4/);
  });

  it('every EPA factor with a recorded derivation equals it at EPA’s 3 significant digits', () => {
    const derived = epaJson.factors.filter((factor) => 'derivation' in factor);
    expect(derived.map((factor) => factor.id)).toEqual(['epa-egrid2021', 'epa-egrid2022']);
    for (const factor of derived) {
      expect(Number(epaTonnesCO2PerKWh((factor as { derivation: Parameters<typeof epaTonnesCO2PerKWh>[0] }).derivation).toPrecision(3))).toBe(
        factor.tonnesCO2PerKWh,
      );
    }
  });
});

describe('every grid says which gas and scope it counts, and its year', () => {
  it.each(['epa', 'epa-egrid2019', 'epa-egrid2021', 'epa-egrid2022'])('%s is CO2, direct emissions, with its eGRID year', (id) => {
    const grid = resolveGrid(id);
    expect(grid).toMatchObject({ gas: 'CO2', scope: 'direct' });
    expect(grid.year).toBe(Number(/\d{4}/.exec(grid.id)![0]));
    expect(grid.provenance.citation).toMatch(/CO2 only/);
  });

  it('an EPA grid adds an assumption note that CH4, N2O and upstream emissions are left out; Ember does not', () => {
    const catalogue = buildCatalogue();
    const input = { system: 'kws-typical', trainingDevices: 1, lifetimeYears: 3, chargerEfficiency: 1, power: { kind: 'assumed', powerW: 0.001 } } as const;
    expect(computeFootprint(catalogue, { ...input, grid: resolveGrid('epa') }).assumptions.some((note) => /CO2 only/.test(note))).toBe(true);
    expect(computeFootprint(catalogue, { ...input, grid: resolveGrid('FRA') }).assumptions.some((note) => /CO2 only/.test(note))).toBe(false);
  });

  it.each([
    ['FRA', 2024],
    ['AFG', 2023],
    ['ABW', 2022],
    ['WORLD', 2024],
  ])('Ember %s is lifecycle CO2e of its own year %i', (code, year) => {
    const grid = resolveGrid(code);
    expect(grid).toMatchObject({ gas: 'CO2e', scope: 'lifecycle', year });
    expect(grid.label).toContain(`Ember ${year}`);
    expect(grid.provenance.citation).toContain(String(year));
    expect(grid.provenance.citation).not.toMatch(/mostly/);
  });

  it('Ember years span 2022–2024: fewer than half the entries are 2024', () => {
    const years = Object.values(emberYearsJson.years);
    expect(new Set(years)).toEqual(new Set([2022, 2023, 2024]));
    expect(years.filter((year) => year === 2024).length).toBe(102);
    expect(years.length).toBe(222);
  });

  it('the years file covers exactly the Ember entries of the installed @tgwf/co2, of the same version', () => {
    expect(Object.keys(emberYearsJson.years).sort()).toEqual(Object.keys(averageIntensity.data).sort());
    const installed = JSON.parse(readFileSync(new URL('../../node_modules/@tgwf/co2/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(installed.version).toBe(CO2JS_VERSION);
  });

  it('Electricity Maps zones are lifecycle CO2e of their vintage; custom factors are user-defined', () => {
    expect(resolveGrid('em-2023:FR')).toMatchObject({ gas: 'CO2e', scope: 'lifecycle', year: 2023 });
    expect(resolveGrid('custom:0.3')).toMatchObject({ scope: 'user-defined', year: null });
  });

  it('the grid list carries gas, scope and year for every entry', () => {
    const zones = listGridZones();
    expect(zones.find((zone) => zone.id === 'epa-egrid2022')).toMatchObject({ gas: 'CO2', scope: 'direct', year: 2022, kgCO2ePerKWh: 0.393 });
    expect(zones.find((zone) => zone.id === 'ABW')).toMatchObject({ gas: 'CO2e', scope: 'lifecycle', year: 2022 });
    expect(zones.every((zone) => zone.gas !== undefined && zone.scope !== undefined && zone.year !== undefined)).toBe(true);
  });
});
