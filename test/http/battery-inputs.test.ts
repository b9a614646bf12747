import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestService, type TestService } from '../helpers/service.js';

let ctx: TestService;
beforeAll(async () => {
  ctx = await startTestService();
});
afterAll(async () => {
  await ctx.close();
});

describe('battery ageing inputs over HTTP (calendar life, self-discharge)', () => {
  it('50 years at 1 mW: the default 5-year calendar life replaces the pack 9 times; the assumption is named', async () => {
    const res = await request(`${ctx.url}/api/calculate`, { method: 'POST', json: { system: 'kws-typical', lifetimeYears: 50 } });
    expect(res.status).toBe(200);
    expect(res.body.battery).toMatchObject({ replacements: 9, limitedBy: 'calendar', calendarLifeYears: 5, selfDischargePerMonth: 0.02 });
    expect(res.body.battery.sources.calendarLife.kind).toBe('assumption');
    expect(res.body.use.selfDischargeWh).toBeCloseTo(0.02 * 0.5 * 7.2 * 600, 9);
  });

  it('a user sets both: calendarLifeYears 20 and selfDischargePerMonth 0', async () => {
    const res = await request(`${ctx.url}/api/calculate`, {
      method: 'POST',
      json: { system: 'kws-typical', lifetimeYears: 50, battery: { calendarLifeYears: 20, selfDischargePerMonth: 0 } },
    });
    expect(res.status).toBe(200);
    expect(res.body.battery).toMatchObject({ replacements: 2, selfDischargeWh: 0 });
    expect(res.body.battery.sources.selfDischarge.kind).toBe('user');
    expect(res.body.use.gridEnergyWh).toBeCloseTo(438, 9);
  });

  it.each([
    ['self-discharge given as a percent', { selfDischargePerMonth: 2 }, /selfDischargePerMonth/],
    ['a calendar life of 0', { calendarLifeYears: 0 }, /calendarLifeYears/],
  ])('refuses %s with a 400', async (_name, battery, pattern) => {
    const res = await request(`${ctx.url}/api/calculate`, { method: 'POST', json: { battery } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(pattern);
  });
});
