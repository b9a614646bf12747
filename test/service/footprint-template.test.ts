/** A spec's template gives JSON.stringify(footprint) byte for byte at every power, or refuses loudly. */
import { describe, expect, it } from 'vitest';
import { resolveGrid } from '../../src/catalogue/grid.js';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { footprintFromPlan, planFootprint, type FootprintInput, type FootprintResult, type PowerInput } from '../../src/model/footprint.js';
import { FootprintTemplate, TemplateMismatchError } from '../../src/service/footprint-template.js';

const catalogue = buildCatalogue();
const base: Omit<FootprintInput, 'power' | 'elapsedS'> = {
  system: 'kws-typical',
  trainingDevices: 1,
  lifetimeYears: 3,
  grid: resolveGrid('epa'),
  chargerEfficiency: 1,
};
const SPECS: Omit<FootprintInput, 'power' | 'elapsedS'>[] = [
  base,
  { ...base, system: 'ic-typical', lifetimeYears: 10, grid: resolveGrid('custom:0.9'), chargerEfficiency: 0.8 },
  // a small pack with few cycles: replacements, and the wear limit moves from calendar to cycles as the power grows
  { ...base, battery: { capacityWh: 0.5, cycleLife: 50 } },
  { ...base, battery: { selfDischargePerMonth: 0, calendarLifeYears: 1 } },
  { ...base, system: { base: 'kws-typical', scenario: 'max', blocks: { casing: { kgCO2e: 0.3 }, processing: { level: 1 } } }, trainingDevices: 1_000 },
];
const POWERS_W = [0, 1e-7, 0.000123, 0.001, 0.0272, 0.1663, 0.5, 3.3, 42];

function powers(powerW: number): PowerInput[] {
  return [
    { kind: 'assumed', powerW },
    { kind: 'given', powerW },
    { kind: 'measured', powerW, observedS: 123.5, samples: 1_235, windows: 12 },
  ];
}

describe('FootprintTemplate', () => {
  it('renders JSON.stringify(result) at every power and kind of power, for presets, custom systems and batteries', () => {
    let cases = 0;
    for (const spec of SPECS) {
      const plan = planFootprint(catalogue, spec);
      const template = FootprintTemplate.build(catalogue, plan);
      for (const powerW of POWERS_W)
        for (const power of powers(powerW)) {
          const { result, bytes } = template.at(power);
          expect(result).toEqual(footprintFromPlan(catalogue, plan, power));
          expect(bytes.toString('utf8')).toBe(JSON.stringify(result));
          cases += 1;
        }
    }
    expect(cases).toBe(SPECS.length * POWERS_W.length * 3);
  });

  it('renders from the power parts, byte for byte as the model, for every spec and power (and refuses where the model does)', () => {
    let cases = 0;
    for (const spec of SPECS) {
      const plan = planFootprint(catalogue, spec);
      const template = FootprintTemplate.build(catalogue, plan);
      expect(template.rendersFromParts).toBe(true);
      for (const powerW of [...POWERS_W, 1e-3 + 1e-7 * 12_345, 7.77e-5]) {
        for (const power of powers(powerW)) {
          const result = footprintFromPlan(catalogue, plan, power);
          const { bytes, basis } = template.renderAt(power);
          expect(bytes.toString('utf8')).toBe(JSON.stringify(result));
          expect(basis).toEqual({ totalKgCO2e: result.totalKgCO2e, byGroup: result.byGroup, use: result.use, lifetimeS: result.lifetimeS, grid: result.grid });
          cases += 1;
        }
      }
      expect(() => template.renderAt({ kind: 'given', powerW: -1 })).toThrow(/power/);
      expect(() => template.renderAt({ kind: 'given', powerW: Number.NaN })).toThrow(/power/);
    }
    expect(cases).toBe(SPECS.length * (POWERS_W.length + 2) * 3);
  });

  it('renders through the model when a slot is not one the power parts hold', () => {
    const plan = planFootprint(catalogue, SPECS[2]!);
    const template = FootprintTemplate.build(catalogue, plan);
    // a template whose slots include one the parts do not hold (a constant key made a slot): checked at build, so it is rebuilt by hand
    const paths = (template as unknown as { paths: (string | number)[][] }).paths;
    const rebuilt = Object.create(FootprintTemplate.prototype as object) as FootprintTemplate;
    Object.assign(rebuilt, template, { paths: [['lifetimeYears'], ...paths.slice(1)] });
    expect((rebuilt as unknown as { checkedParts(): unknown }).checkedParts()).toBeNull();
    // the template as built renders from parts, and at() (the model's render) gives the same bytes
    const power: PowerInput = { kind: 'measured', powerW: 0.0042, observedS: 50, samples: 5_000, windows: 5 };
    expect(template.renderAt(power).bytes.equals(template.at(power).bytes)).toBe(true);
  });

  it('covers the power-dependent values: the battery note, the wear limit and the notes change between powers and are rendered', () => {
    const plan = planFootprint(catalogue, SPECS[2]!);
    const template = FootprintTemplate.build(catalogue, plan);
    const low = template.at({ kind: 'given', powerW: 1e-7 });
    const high = template.at({ kind: 'given', powerW: 0.5 });
    expect(low.result.battery?.limitedBy).not.toBe(high.result.battery?.limitedBy);
    expect(low.result.stages.at(-3)?.provenance.note).not.toBe(high.result.stages.at(-3)?.provenance.note);
    expect(low.result.assumptions).not.toEqual(high.result.assumptions);
    expect(low.bytes.toString('utf8')).toBe(JSON.stringify(low.result));
    expect(high.bytes.toString('utf8')).toBe(JSON.stringify(high.result));
  });

  /** The private render, for results the model does not make (to reach the paths' fallbacks). */
  const renderOf = (template: FootprintTemplate) => (result: FootprintResult) => (template as unknown as { render(r: FootprintResult): Buffer }).render(result);

  it('places non-ASCII values by their bytes, not their characters', () => {
    const plan = planFootprint(catalogue, SPECS[2]!);
    const { result } = FootprintTemplate.build(catalogue, plan).at({ kind: 'given', powerW: 0.001 });
    const odd: FootprintResult = { ...result, assumptions: ['µ – × °: 3 multi-byte characters and a 4-byte one 𝄞', ...result.assumptions], totalKgCO2e: 1.5 };
    expect(renderOf(FootprintTemplate.build(catalogue, plan))(odd).toString('utf8')).toBe(JSON.stringify(odd));
  });

  it('walks a result of another outline key by key: a stage fewer is refused, a reference device fewer too', () => {
    const plan = planFootprint(catalogue, SPECS[2]!);
    const template = FootprintTemplate.build(catalogue, plan);
    const { result } = template.at({ kind: 'given', powerW: 0.001 });
    const render = renderOf(template);
    expect(() => render({ ...result, stages: result.stages.slice(0, -1) })).toThrow(TemplateMismatchError);
    expect(() => render({ ...result, comparison: { ...result.comparison, referenceDevices: result.comparison.referenceDevices.slice(1) } })).toThrow(
      TemplateMismatchError,
    );
  });
});
