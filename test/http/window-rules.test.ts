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

  it('counts the refused window in /api/health by its reason, as for every source', async () => {
    await register('end-counted');
    const counted = async () => (await request(`${ctx.url}/api/health`)).body.ingest.rejectedByReason.end_in_future ?? 0;
    const before = await counted();
    const res = await post('end-counted', { seq: 1, startMs: Date.now() + 23 * HOUR_MS, durationS: 86_400, energyJ: 86.4 });
    expect(res.status).toBe(400);
    expect(await counted()).toBe(before + 1);
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

describe('overlapping windows of one device are refused (issue 8 #15)', () => {
  const T0 = Date.parse('2026-11-01T00:00:00Z');
  const win = (seq: number, startMs: number, durationS: number, energyJ: number) => ({
    seq,
    startMs,
    durationS,
    energyJ,
    sampleCount: 100,
    minPowerW: 0,
    maxPowerW: 10,
  });
  const overlapsCounted = async () => (await request(`${ctx.url}/api/health`)).body.ingest.rejectedByReason.overlap ?? 0;

  it('a batch with seqs 1 and 2 over the same 10 s and seq 3 over both with 100× the energy: 400, one line per window, nothing stored', async () => {
    await register('overlap-batch');
    const counted = await overlapsCounted();
    const res = await post('overlap-batch', { windows: [win(1, T0, 10, 0.272), win(2, T0, 10, 0.272), win(3, T0 + 5_000, 10, 27.2)] });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/2 windows refused .* nothing of the batch was stored/);
    expect(res.body.errors).toEqual([
      expect.stringMatching(/^windows\.1: reason: overlap: seq 2 .* shares 10\.000 s with stored seq 1/),
      expect.stringMatching(/^windows\.2: reason: overlap: seq 3 .* shares 5\.000 s with stored seq 1/),
    ]);
    expect((await device('overlap-batch')).aggregate).toBeNull();
    expect(await overlapsCounted()).toBe(counted + 2);
  });

  it('across requests: the first window is stored, a later one over the same time is refused and changes nothing', async () => {
    await register('overlap-later');
    const first = await post('overlap-later', { windows: [win(1, T0, 10, 0.272), win(2, T0 + 10_000, 10, 0.272)] });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ inserted: 2, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 });
    const before = (await device('overlap-later')).aggregate;
    const res = await post('overlap-later', win(3, T0 + 5_000, 10, 27.2));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.stringMatching(/^windows\.0: reason: overlap: seq 3 .* with stored seq 1/)]);
    expect((await device('overlap-later')).aggregate).toEqual(before);
    expect(before).toMatchObject({ windows: 2, observedS: 20 });
    // The same windows again are duplicates, not overlaps with themselves.
    const again = await post('overlap-later', { windows: [win(1, T0, 10, 0.272), win(2, T0 + 10_000, 10, 0.272)] });
    expect(again.body).toEqual({ inserted: 0, duplicates: 2, rejected: 0, overlaps: 0, seqResets: 0 });
  });
});

describe('a seq re-used after a reboot is a new window; a redelivery stays a duplicate (issue 8 #4)', () => {
  const T0 = Date.parse('2026-11-02T00:00:00Z');
  const win = (seq: number, startMs: number, energyJ: number) => ({ seq, startMs, durationS: 10, energyJ, sampleCount: 100, minPowerW: 0, maxPowerW: 1 });
  const boot1 = Array.from({ length: 10 }, (_, seq) => win(seq, T0 + seq * 10_000, 0.125));
  const boot2 = Array.from({ length: 5 }, (_, seq) => win(seq, T0 + 160_000 + seq * 10_000, 0.25));

  it('seq 0..9, a reboot, seq 0..4: 15 windows and 2.5 J, the re-used seqs counted', async () => {
    await register('rebooter');
    expect((await post('rebooter', { windows: boot1 })).body).toEqual({ inserted: 10, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 });
    const second = await post('rebooter', { windows: boot2 });
    expect(second.status).toBe(201);
    expect(second.body).toEqual({ inserted: 5, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 5 });
    expect((await device('rebooter')).aggregate).toMatchObject({ windows: 15, energyJ: 2.5, observedS: 150 });
    const recent = (await request(`${ctx.url}/api/devices/rebooter/windows?limit=6`)).body.windows;
    expect(recent.map((w: { seq: number; startMs: number }) => [w.seq, w.startMs - T0])).toEqual([
      [4, 200_000],
      [3, 190_000],
      [2, 180_000],
      [1, 170_000],
      [0, 160_000],
      [9, 90_000],
    ]);
    const health = (await request(`${ctx.url}/api/health`)).body.ingest;
    expect(health.windowsSeqReset).toBeGreaterThanOrEqual(5);
  });

  it('redelivering any of the 15, alone or all together, changes nothing', async () => {
    const before = (await device('rebooter')).aggregate;
    expect((await post('rebooter', { windows: [...boot2, ...boot1] })).body).toEqual({ inserted: 0, duplicates: 15, rejected: 0, overlaps: 0, seqResets: 0 });
    for (const window of [boot1[0], boot2[0], boot1[4], boot2[4], boot1[9]]) {
      const res = await post('rebooter', window);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ inserted: 0, duplicates: 1 });
    }
    expect((await device('rebooter')).aggregate).toEqual(before);
  });
});
