import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { resolveGrid } from '../../src/catalogue/grid.js';
import { ValidationError } from '../../src/domain/errors.js';
import { computeFootprint } from '../../src/model/footprint.js';
import { request, startTestService, type TestService } from '../helpers/service.js';

let ctx: TestService;
beforeAll(async () => {
  ctx = await startTestService();
});
afterAll(async () => {
  await ctx.close();
});

const catalogue = buildCatalogue();
const KNOWN = `known blocks: ${catalogue.blocks.map((block) => block.id).join(', ')}`;
// Raw JSON text: a JS object literal `{ __proto__: ... }` would set a prototype, and JSON.stringify would drop it.
const blocksBody = (name: string, extra = '') => `{${extra}"system":{"blocks":{"${name}":{"level":1}}}}`;
const post = (path: string, body: string, method = 'POST') =>
  request(`${ctx.url}${path}`, { method, token: ctx.token, headers: { 'content-type': 'application/json' }, body });

describe('unknown block names are refused with a reason, never dropped', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'toaster'])(
    'POST /api/calculate with block %j → 400 naming the known blocks',
    async (name) => {
      const res = await post('/api/calculate', blocksBody(name));
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.errors.join('\n')).toContain(`system.blocks.${name}: unknown block "${name}" (${KNOWN})`);
    },
  );

  it('POST /api/devices with a __proto__ block → 400 and no device (it was stored as {blocks: {}})', async () => {
    const res = await post('/api/devices', blocksBody('__proto__', '"id":"proto-1",'));
    expect(res.status).toBe(400);
    expect(res.body.errors.join('\n')).toContain('unknown block "__proto__"');
    expect((await request(`${ctx.url}/api/devices/proto-1`)).status).toBe(404);
  });

  it('PATCH /api/devices/:id with a __proto__ block → 400 and the spec unchanged', async () => {
    expect((await post('/api/devices', '{"id":"proto-2"}')).status).toBe(201);
    const before = (await request(`${ctx.url}/api/devices/proto-2`)).body.spec;
    const res = await post('/api/devices/proto-2', blocksBody('__proto__'), 'PATCH');
    expect(res.status).toBe(400);
    expect((await request(`${ctx.url}/api/devices/proto-2`)).body.spec).toEqual(before);
  });

  it.each(['constructor', 'prototype'])('GET /api/calculate?blocks=%s:1 → 400 naming the known blocks', async (name) => {
    const res = await request(`${ctx.url}/api/calculate?blocks=${name}:1`);
    expect(res.status).toBe(400);
    expect(`${res.body.detail} ${res.body.errors.join(' ')}`).toContain(`unknown block "${name}"`);
    expect(res.body.errors.join(' ')).toContain(KNOWN);
  });

  it('a known block still works, with a level or a value', async () => {
    const res = await post('/api/calculate', '{"system":{"blocks":{"processing":{"level":1},"casing":{"kgCO2e":0.5}}}}');
    expect(res.status).toBe(200);
    expect(res.body.system.id).toBe('custom');
    expect(res.body.stages.find((stage: { id: string }) => stage.id === 'casing').kgCO2e).toBe(0.5);
  });
});

describe('the model refuses block overrides it cannot read as own keys', () => {
  const input = (blocks: unknown) => ({
    system: { blocks } as never,
    trainingDevices: 1,
    lifetimeYears: 3,
    grid: resolveGrid('epa'),
    chargerEfficiency: 1,
    power: { kind: 'assumed' as const, powerW: 0.001 },
  });

  it('an override hidden in a prototype (what `blocks.__proto__ = …` does) is refused, not ignored', () => {
    const blocks: Record<string, unknown> = {};
    Object.setPrototypeOf(blocks, { processing: { level: 1 } });
    expect(() => computeFootprint(catalogue, input(blocks))).toThrow(ValidationError);
    expect(() => computeFootprint(catalogue, input(blocks))).toThrow(/plain object/);
  });

  it('an own "__proto__" key (JSON.parse makes one) is an unknown block', () => {
    expect(() => computeFootprint(catalogue, input(JSON.parse('{"__proto__":{"level":1}}')))).toThrow(/unknown block "__proto__"/);
  });

  it('a Map or an array is not a bill of materials', () => {
    expect(() => computeFootprint(catalogue, input(new Map([['processing', { level: 1 }]])))).toThrow(/plain object/);
    expect(() => computeFootprint(catalogue, input([{ level: 1 }]))).toThrow(/plain object/);
  });

  it('a null-prototype object with known blocks is read', () => {
    const blocks = Object.assign(Object.create(null) as Record<string, unknown>, { processing: { level: 1 } });
    expect(computeFootprint(catalogue, input(blocks)).system.isCustom).toBe(true);
  });
});
