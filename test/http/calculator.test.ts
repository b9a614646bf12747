import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { round2, seedColumns } from '../helpers/seed-table.js';
import { request, startTestService, type TestService } from '../helpers/service.js';

let ctx: TestService;
beforeAll(async () => {
  ctx = await startTestService();
});
afterAll(async () => {
  await ctx.close();
});

describe('HTTP calculator reproduces the seed table', () => {
  for (const column of seedColumns()) {
    it(`POST /api/calculate ${column.system}: every row and the total at 2 decimals`, async () => {
      const res = await request(`${ctx.url}/api/calculate`, { method: 'POST', json: { system: column.system, lifetimeYears: 3 } });
      expect(res.status).toBe(200);
      const rows = Object.fromEntries(
        (res.body.stages as { id: string; kgCO2e: number }[]).filter((s) => s.id !== 'battery-replacements').map((s) => [s.id, round2(s.kgCO2e)]),
      );
      expect(rows).toEqual(column.rows);
      expect(round2(res.body.totalKgCO2e)).toBe(column.total);
      expect(res.body.power.kind).toBe('assumed');
      expect(res.body.power.provenance.citation).toMatch(/1 mW/);
    });

    it(`GET /api/calculate?system=${column.system} gives the same total`, async () => {
      const res = await request(`${ctx.url}/api/calculate?system=${column.system}&years=3`);
      expect(res.status).toBe(200);
      expect(round2(res.body.totalKgCO2e)).toBe(column.total);
    });
  }

  it('an inference rate adds perInference (SCI with E, I, M, R); POST and GET agree; none without it', async () => {
    const post = await request(`${ctx.url}/api/calculate`, { method: 'POST', json: { system: 'kws-typical', power: '27mW', grid: 'FRA', inferencesPerS: 4 } });
    expect(post.status).toBe(200);
    expect(post.body.perInference.energy).toMatchObject({ basis: 'aggregate', energyPerInferenceJ: expect.closeTo(0.00675, 12) });
    expect(post.body.perInference.sci).toMatchObject({ functionalUnit: 'inference', R: { inferencesPerS: 4, basis: 'given' }, I: { gridId: 'FRA' } });
    const get = await request(`${ctx.url}/api/calculate?system=kws-typical&power=27mW&grid=FRA&inferencesPerS=4`);
    expect(get.body.perInference).toEqual(post.body.perInference);
    expect((await request(`${ctx.url}/api/calculate`, { method: 'POST', json: { system: 'kws-typical' } })).body.perInference).toBeUndefined();
    expect((await request(`${ctx.url}/api/calculate`, { method: 'POST', json: { inferencesPerS: 0 } })).status).toBe(400);
  });

  it('GET with power, region and block overrides (the shareable URL form)', async () => {
    const res = await request(`${ctx.url}/api/calculate?system=kws-typical&power=27.2mW&region=FRA&years=3&blocks=processing:1`);
    expect(res.status).toBe(200);
    expect(res.body.power).toMatchObject({ kind: 'given', powerW: 0.0272 });
    expect(res.body.grid.id).toBe('FRA');
    expect(res.body.system.id).toBe('custom');
    const processing = res.body.stages.find((s: { id: string }) => s.id === 'processing');
    expect(processing.kgCO2e).toBe(0.66);
    expect(processing.provenance.kind).toBe('derived');
  });

  it('catalogue lists the five systems, blocks with levels, training presets and grids', async () => {
    const res = await request(`${ctx.url}/api/catalogue`);
    expect(res.body.systems.map((s: { id: string }) => s.id)).toEqual(['kws-best', 'kws-typical', 'ad-typical', 'ic-typical', 'ic-worst']);
    expect(res.body.training.presets.map((p: { id: string }) => p.id)).toEqual(['densenet', 'mobilenetv1', 'none']);
    expect(res.body.grids.default.id).toBe('epa-egrid2019');
    const grids = await request(`${ctx.url}/api/catalogue/grids`);
    expect(grids.body.grids.find((g: { id: string }) => g.id === 'FRA').kgCO2ePerKWh).toBeCloseTo(0.04418, 10);
  });

  it('serves an OpenAPI 3.1 document with the request schemas', async () => {
    const res = await request(`${ctx.url}/api/openapi.json`);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toContain('/api/devices/{id}/footprint');
    expect(res.body.components.schemas.Window.properties.energyJ.type).toBe('number');
  });

  it.each([
    ['unknown system', { system: 'toaster' }, /unknown system/],
    ['negative power', { power: -1 }, /power/],
    ['power with a bad unit', { power: '27 parsecs' }, /unknown unit/],
    ['absurd lifetime', { lifetimeYears: 500 }, /lifetimeYears/],
    ['unknown field', { sytem: 'kws-typical' }, /sytem/],
    ['unknown grid', { grid: 'ATLANTIS' }, /unknown grid/],
    ['a charger efficiency that would make the footprint infinite', { chargerEfficiency: 5e-324 }, /chargerEfficiency/],
    ['a battery of 5e-324 Wh', { battery: { capacityWh: 5e-324 } }, /capacityWh/],
  ])('rejects %s with a 400 problem+json', async (_name, json, pattern) => {
    const res = await request(`${ctx.url}/api/calculate`, { method: 'POST', json });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(JSON.stringify(res.body)).toMatch(pattern);
  });

  it('rejects a huge block value in the shareable URL', async () => {
    const res = await request(`${ctx.url}/api/calculate?blocks=processing=1e9`);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/at most 5000 kg/);
  });

  it('rejects a non-finite power in the query', async () => {
    const res = await request(`${ctx.url}/api/calculate?power=Infinity`);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/power/);
  });
});

describe('power units over HTTP are case-sensitive', () => {
  it.each([
    ['GET', '27MW', /27000000 W, above the 100 W limit.*did you mean 27mW/],
    ['GET', '27mw', /did you mean 27mW \(milliwatts\) or 27MW \(megawatts\)/],
    ['POST', '27MW', /did you mean 27mW/],
    ['POST', '27 parsecs', /unknown unit "parsecs" \(expected one of W, mW/],
  ])('%s power=%s → 400 naming what was expected', async (method, power, pattern) => {
    const res =
      method === 'GET'
        ? await request(`${ctx.url}/api/calculate?power=${encodeURIComponent(power)}`)
        : await request(`${ctx.url}/api/calculate`, { method: 'POST', json: { power } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(pattern);
  });

  it.each([
    ['27mW', 0.027],
    ['800uW', 800e-6],
    ['800µW', 800e-6],
    ['0.027', 0.027],
  ])('power=%s is %f W', async (power, watts) => {
    const res = await request(`${ctx.url}/api/calculate?power=${encodeURIComponent(power)}`);
    expect(res.status).toBe(200);
    expect(res.body.power.powerW).toBeCloseTo(watts, 15);
  });

  it('a bare JSON number is watts (documented)', async () => {
    const res = await request(`${ctx.url}/api/calculate`, { method: 'POST', json: { power: 0.027 } });
    expect(res.body.power).toMatchObject({ kind: 'given', powerW: 0.027 });
  });
});
