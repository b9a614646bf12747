/**
 * The window rules of firmware-protocol/SPEC.md §7 as an HTTP client meets them: POST /api/devices/:id/windows on the
 * real service. The same rules hold for serial and MQTT (the store and IngestService apply them); here, only what the
 * HTTP route answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestService, type TestService } from '../helpers/service.js';

let ctx: TestService;
beforeAll(async () => {
  ctx = await startTestService();
});
afterAll(async () => {
  await ctx.close();
});

const HOUR_MS = 3_600_000;

async function register(id: string): Promise<void> {
  const res = await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id } });
  expect(res.status).toBe(201);
}

const post = (id: string, json: unknown) => request(`${ctx.url}/api/devices/${id}/windows`, { method: 'POST', token: ctx.token, json });
const device = async (id: string) => (await request(`${ctx.url}/api/devices/${id}`)).body;

describe('a window must end within the future skew (issue 8 #14)', () => {
  it('refuses a window starting 23 h ahead and lasting a day (400, end_in_future); nothing is stored', async () => {
    await register('end-check');
    const res = await post('end-check', { seq: 1, startMs: Date.now() + 23 * HOUR_MS, durationS: 86_400, energyJ: 86.4 });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(['reason: end_in_future']);
    expect(res.body.detail).toMatch(/end .* more than a day in the future/);
    expect((await device('end-check')).aggregate).toBeNull();
  });

  it('accepts a window ending now', async () => {
    await register('end-ok');
    const res = await post('end-ok', { seq: 2, startMs: Date.now() - 10_000, durationS: 10, energyJ: 0.01 });
    expect(res.status).toBe(201);
    const { aggregate } = await device('end-ok');
    expect(aggregate).toMatchObject({ windows: 1, maxSeq: 2 });
    expect(aggregate.lastSeenMs).toBeLessThanOrEqual(Date.now());
  });
});
