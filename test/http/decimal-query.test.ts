import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestService, type TestService } from '../helpers/service.js';

let ctx: TestService;
beforeAll(async () => {
  ctx = await startTestService();
  expect((await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'node-1' } })).status).toBe(201);
});
afterAll(async () => {
  await ctx.close();
});

// Number() reads all of these as numbers; a query string is decimal, so each is a 400 naming the field.
const NOT_DECIMAL_INTEGERS = ['0x10', '0X10', '0b10', '0o10', '1e1', '16.0', ' 16', '16 ', '+16', '-1', '', 'Infinity', '١٦'];

describe('integer query fields are decimal digits only', () => {
  it.each(NOT_DECIMAL_INTEGERS)('GET /api/devices?limit=%j → 400', async (value) => {
    const res = await request(`${ctx.url}/api/devices?limit=${encodeURIComponent(value)}`);
    expect(res.status).toBe(400);
    expect(res.body.errors.join(' ')).toMatch(/^limit: .*decimal/);
  });

  it.each(['0x1', '1e0', ''])('GET /api/devices?offset=%j → 400', async (value) => {
    const res = await request(`${ctx.url}/api/devices?offset=${encodeURIComponent(value)}`);
    expect(res.status).toBe(400);
    expect(res.body.errors.join(' ')).toMatch(/^offset: /);
  });

  it.each(['0x2', '2e0'])('GET /api/devices/:id/windows?limit=%j → 400', async (value) => {
    const res = await request(`${ctx.url}/api/devices/node-1/windows?limit=${encodeURIComponent(value)}`);
    expect(res.status).toBe(400);
  });

  it.each(['0x10', '1e1', '16.0'])('GET /api/calculate?trainingDevices=%j → 400', async (value) => {
    const res = await request(`${ctx.url}/api/calculate?trainingDevices=${encodeURIComponent(value)}`);
    expect(res.status).toBe(400);
    expect(res.body.errors.join(' ')).toMatch(/trainingDevices/);
  });

  it('decimal integers are still read, leading zeros included', async () => {
    expect((await request(`${ctx.url}/api/devices?limit=16&offset=0`)).body).toMatchObject({ limit: 16, offset: 0, total: 1 });
    expect((await request(`${ctx.url}/api/devices?limit=016`)).body.limit).toBe(16);
    const shared = await request(`${ctx.url}/api/calculate?trainingDevices=16`);
    expect(shared.status).toBe(200);
    expect(shared.body.training.devices).toBe(16);
  });
});

describe('decimal query fields (years, lifetimeYears, chargerEfficiency) take decimals with an optional exponent', () => {
  it.each([
    ['years', '0x3'],
    ['years', '0b11'],
    ['years', ' 3'],
    ['years', ''],
    ['lifetimeYears', 'Infinity'],
    ['lifetimeYears', '3_0'],
    ['chargerEfficiency', '0x1'],
  ])('%s=%j → 400', async (name, value) => {
    const res = await request(`${ctx.url}/api/calculate?${name}=${encodeURIComponent(value)}`);
    expect(res.status).toBe(400);
    expect(res.body.errors.join(' ')).toMatch(new RegExp(`^${name}: `));
  });

  it.each([
    ['years=3', 3],
    ['years=2.5', 2.5],
    ['years=.5', 0.5],
    ['lifetimeYears=3e0', 3],
    ['lifetimeYears=30e-1', 3],
  ])('%s → lifetime %f years', async (query, years) => {
    const res = await request(`${ctx.url}/api/calculate?${query}`);
    expect(res.status).toBe(200);
    expect(res.body.lifetimeYears).toBe(years);
  });
});
