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
const stageOf = (result: ReturnType<typeof computeFootprint>, id: string) => {
  const found = result.stages.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no stage ${id}`);
  return found;
};

describe('block values name the TinyML-Footprint table as their dataset and Pirson & Bol as its source', () => {
  const result = computeFootprint(catalogue, base);

  it.each(['casing', 'others', 'pcb', 'power-supply', 'processing', 'sensing', 'transport', 'user-interface'])(
    '%s: dataset tinyml-footprint-seed-2022, source Pirson & Bol 2021',
    (id) => {
      const provenance = stageOf(result, id).provenance;
      expect(provenance.dataset).toBe('tinyml-footprint-seed-2022');
      expect(provenance.citation).toMatch(/TinyML-Footprint table \(2022\)/);
      expect(provenance.source).toMatch(/^Pirson & Bol, J\. Cleaner Production 322 \(2021\)/);
    },
  );

  it('a level fitted from the table is the same dataset, kind derived, source Pirson & Bol', () => {
    const custom = computeFootprint(catalogue, { ...base, system: { blocks: { processing: { level: 1 } } } });
    const provenance = stageOf(custom, 'processing').provenance;
    expect(provenance).toMatchObject({ dataset: 'tinyml-footprint-seed-2022', kind: 'derived' });
    expect(provenance.source).toMatch(/Pirson & Bol/);
  });

  it('a level taken from the inventory itself (no casing) is credited to pirson-bol-2021, with no secondary source', () => {
    const bare = computeFootprint(catalogue, { ...base, system: { blocks: { casing: { level: 0 } } } });
    const provenance = stageOf(bare, 'casing').provenance;
    expect(provenance.dataset).toBe('pirson-bol-2021');
    expect(provenance.source).toBeUndefined();
  });

  it('the calculator preset (mains) is the TinyML-Footprint calculator dataset', () => {
    const mains = computeFootprint(catalogue, { ...base, system: { blocks: { 'power-supply': { level: 0 } } } });
    expect(stageOf(mains, 'power-supply').provenance.dataset).toBe('tinyml-footprint-calculator-2022');
  });

  it('the catalogue lists each source with its dataset and what it is based on', () => {
    expect(catalogue.sources['seed-table']).toMatchObject({ dataset: 'tinyml-footprint-seed-2022', basedOn: 'pirson-bol-2021' });
    expect(catalogue.sources['pirson-bol-2021']?.dataset).toBe('pirson-bol-2021');
  });
});

describe('fitted range ends are labelled derived, not published', () => {
  const sensing = catalogue.blocks.find((block) => block.id === 'sensing')!;
  const level = (n: number) => sensing.levels.find((candidate) => candidate.level === n)!;

  it.each([
    [1, { min: 'published', typical: 'published', max: 'derived' }],
    [2, { min: 'derived', typical: 'published', max: 'derived' }],
    [3, { min: 'derived', typical: 'published', max: 'published' }],
  ] as const)('sensing level %i: the kind of each range end', (n, kinds) => {
    expect(level(n).provenance.kind).toBe('published');
    expect(level(n).provenance.rangeKinds).toEqual(kinds);
  });

  it('levels whose three ends are all from the table carry no rangeKinds', () => {
    const pcb = catalogue.blocks.find((block) => block.id === 'pcb')!.levels.find((candidate) => candidate.level === 0)!;
    expect(pcb.provenance.rangeKinds).toBeUndefined();
  });

  it('a stage names the kind of the value it reports: the seed columns are published, a fitted end is derived', () => {
    expect(stageOf(computeFootprint(catalogue, { ...base, system: 'ic-worst' }), 'sensing').provenance.kind).toBe('published');
    expect(stageOf(computeFootprint(catalogue, { ...base, system: 'kws-best' }), 'sensing').provenance.kind).toBe('published');
    const adBest = computeFootprint(catalogue, { ...base, system: { base: 'ad-typical', scenario: 'min' } });
    expect(stageOf(adBest, 'sensing').kgCO2e).toBe(0);
    expect(stageOf(adBest, 'sensing').provenance.kind).toBe('derived');
    const kwsWorst = computeFootprint(catalogue, { ...base, system: { base: 'kws-typical', scenario: 'max' } });
    expect(stageOf(kwsWorst, 'sensing').provenance.kind).toBe('derived');
  });

  it("the 7.2 Wh pack is the TinyML-Footprint README's assumption, not Pirson & Bol's; the small and large packs are scaled from it", () => {
    const typical = computeFootprint(catalogue, base).battery!;
    expect(typical.capacityWh).toBe(7.2);
    expect(typical.sources.capacity).toMatchObject({ dataset: 'tinyml-footprint-seed-2022', kind: 'assumption' });
    expect(typical.sources.capacity.citation).toMatch(/TinyML-Footprint README \(2022\)/);
    expect(typical.sources.capacity.citation).not.toMatch(/Pirson/);
    const best = computeFootprint(catalogue, { ...base, system: 'kws-best' }).battery!;
    expect(best.capacityWh).toBe(1.44);
    expect(best.sources.capacity.kind).toBe('derived');
    const power = catalogue.blocks.find((block) => block.id === 'power-supply')!.levels.find((candidate) => candidate.level === 2)!;
    expect(power.content).not.toMatch(/2000 mAh/);
  });

  it('a capacity given by the user is labelled user', () => {
    const result = computeFootprint(catalogue, { ...base, battery: { capacityWh: 3 } });
    expect(result.battery?.sources.capacity.kind).toBe('user');
  });
});
