/** GET /api/devices/:id/windows by time range (paged with a cursor) and GET /api/devices/:id/series on the real service. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestService, type TestService } from '../../helpers/service.js';

let ctx: TestService;
beforeAll(async () => {
  ctx = await startTestService();
});
afterAll(async () => {
  await ctx.close();
});

const T0 = Date.UTC(2026, 0, 1);
/** Window seq: 10 s long, starting every 60 s; power 1 mW + seq µW, min half of it, max twice it. */
const window = (seq: number) => {
  const powerW = 0.001 + seq * 1e-6;
  return {
    seq,
    startMs: T0 + seq * 60_000,
    durationS: 10,
    energyJ: powerW * 10,
    sampleCount: 100,
    minPowerW: powerW / 2,
    maxPowerW: powerW * 2,
    inferenceCount: 2,
  };
};

async function device(id: string, windows: number): Promise<void> {
  expect((await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id } })).status).toBe(201);
  const res = await request(`${ctx.url}/api/devices/${id}/windows`, {
    method: 'POST',
    token: ctx.token,
    json: { windows: Array.from({ length: windows }, (_, seq) => window(seq)) },
  });
  expect(res.status).toBe(201);
}

describe('windows by time range', () => {
  it('pages through the windows of [from, to) oldest first: every window once, the last page without a cursor', async () => {
    await device('ranged', 95);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `from=${T0 + 5 * 60_000}&to=${T0 + 90 * 60_000}&limit=20${cursor === null ? '' : `&cursor=${cursor}`}`;
      const res: { status: number; body: { windows: { seq: number }[]; nextCursor: string | null } } = await request(
        `${ctx.url}/api/devices/ranged/windows?${query}`,
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.windows.map((w: { seq: number }) => w.seq));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(Array.from({ length: 85 }, (_, i) => i + 5));
    expect(pages).toBe(5);
  });
});

describe('series', () => {
  it('sums per bucket: energy, average / min / max power, coverage, inferences; empty buckets left out', async () => {
    await device('charted', 30); // windows at 0, 1, …, 29 min
    const res = await request(`${ctx.url}/api/devices/charted/series?from=${T0}&to=${T0 + 3_600_000}&step=600`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deviceId: 'charted', fromMs: T0, toMs: T0 + 3_600_000, stepS: 600 });
    expect(res.body.buckets.map((b: { startMs: number }) => b.startMs)).toEqual([T0, T0 + 600_000, T0 + 1_200_000]);
    const [first] = res.body.buckets;
    expect(first.windows).toBe(10);
    expect(first.observedS).toBe(100);
    expect(first.coverage).toBeCloseTo(100 / 600, 12);
    expect(first.inferences).toBe(20);
    expect(first.avgPowerW).toBeCloseTo(0.001 + 4.5e-6, 12); // mean of seq 0..9
    expect(first.minPowerW).toBeCloseTo(0.0005, 12);
    expect(first.maxPowerW).toBeCloseTo((0.001 + 9e-6) * 2, 12);
  });

  it('without a step, spans the range in about 288 buckets; too many buckets is a 400 naming the limit', async () => {
    await device('defaulted', 1);
    const res = await request(`${ctx.url}/api/devices/defaulted/series?from=${T0}&to=${T0 + 86_400_000}`);
    expect(res.body.stepS).toBe(300);
    expect(res.body.buckets).toHaveLength(1);
    const tooMany = await request(`${ctx.url}/api/devices/defaulted/series?from=${T0}&to=${T0 + 86_400_000}&step=1`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.detail).toMatch(/at most 10000/);
  });
});
