/**
 * GET /api/fleet pages on the real service: a page's selection of devices is kept while nothing it depends on changes
 * (only the accrued figures grow), its rows are still rendered at the request's time, and a change of a device's power
 * reorders the very next page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestService, type TestService } from '../../helpers/service.js';
import { waitFor } from '../../helpers/wait-for.js';

let ctx: TestService;
const T0 = Date.now() - 40_000;
beforeAll(async () => {
  ctx = await startTestService();
});
afterAll(async () => {
  await ctx.close();
});

interface PageBody {
  computedAtMs: number;
  matched: number;
  rows: { id: string; powerW: number; accruedKgCO2e: number | null }[];
}

async function post(path: string, json: unknown): Promise<void> {
  expect((await request(`${ctx.url}${path}`, { method: 'POST', token: ctx.token, json })).status).toBe(201);
}

/** Window `seq` of `powerW`: 10 s long, the first one ending 30 s ago, each next one 10 s later. */
async function report(id: string, seq: number, powerW: number): Promise<void> {
  const startMs = T0 + seq * 10_000;
  await post(`/api/devices/${id}/windows`, {
    windows: [{ seq, startMs, durationS: 10, energyJ: powerW * 10, sampleCount: 100, minPowerW: powerW, maxPowerW: powerW, inferenceCount: 1 }],
  });
}

const page = async (query: string): Promise<PageBody> => {
  const res = await request<PageBody>(`${ctx.url}/api/fleet?${query}`);
  expect(res.status).toBe(200);
  return res.body;
};

describe('GET /api/fleet pages', () => {
  it('renders a kept selection again as the accrued figures grow, and reorders as soon as a power changes', async () => {
    const deployedAt = new Date(Date.now() - 30 * 86_400_000).toISOString();
    for (const [id, powerW] of [
      ['pa', 0.001],
      ['pb', 0.002],
      ['pc', 0.003],
    ] as const) {
      await post('/api/devices', { id, deployedAt });
      await report(id, 0, powerW);
    }
    const query = 'sort=power&dir=desc&status=measured&limit=2';
    const first = await page(query);
    expect(first.rows.map((row) => row.id)).toEqual(['pc', 'pb']);
    expect(first.matched).toBe(3);
    // The accrued refresh (every ACCRUED_STEP_MS) moves the index's version but not the order: the next pages keep the
    // selection and render its rows at their own time.
    const later = await waitFor('a page computed later, with a larger accrued figure', async () => {
      const next = await page(query);
      return next.computedAtMs > first.computedAtMs && next.rows[0]!.accruedKgCO2e! > first.rows[0]!.accruedKgCO2e! ? next : null;
    });
    expect(later.rows.map((row) => row.id)).toEqual(['pc', 'pb']);
    expect(later.matched).toBe(3);

    // pa now reports 10 mW (average of 1 and 10 mW over equal windows: 5.5 mW): first on the very next page.
    await report('pa', 1, 0.01);
    const reordered = await page(query);
    expect(reordered.rows.map((row) => row.id)).toEqual(['pa', 'pc']);
    expect(reordered.rows[0]!.powerW).toBeCloseTo(0.0055, 12);
    // A new device that matches changes `matched` at once too.
    await post('/api/devices', { id: 'pd', deployedAt });
    await report('pd', 0, 0.004);
    const grown = await page(query);
    expect(grown.matched).toBe(4);
    expect(grown.rows.map((row) => row.id)).toEqual(['pa', 'pd']);
  });
});

describe('GET /api/fleet?rows=false', () => {
  it('serialises the totals once per state of the index: the same body until they change, then a new one at once', async () => {
    const totals = async (): Promise<{ text: string; body: { devices: number; computedAtMs: number } }> => {
      const res = await fetch(`${ctx.url}/api/fleet?rows=false`);
      expect(res.status).toBe(200);
      const text = await res.text();
      return { text, body: JSON.parse(text) as { devices: number; computedAtMs: number } };
    };
    // The first test's devices are deployed, so the accrued refresh moves the index every ACCRUED_STEP_MS: wait for two
    // answers with no move between them, the second asked for after the first was computed (a later millisecond).
    const [first, second] = await waitFor('two totals answers with the index unchanged between them', async () => {
      const a = await totals();
      const askedMs = Date.now();
      if (askedMs <= a.body.computedAtMs) return null;
      const b = await totals();
      return b.body.computedAtMs === a.body.computedAtMs ? [a, b] : null;
    });
    expect(second.text).toBe(first.text);
    const devices = first.body.devices;
    await post('/api/devices', { id: 'tot-new' });
    const after = await totals();
    expect(after.body.devices).toBe(devices + 1);
    expect(after.body.computedAtMs).toBeGreaterThanOrEqual(first.body.computedAtMs);
  });
});
