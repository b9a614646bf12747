import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestService, type TestService } from '../helpers/service.js';

let ctx: TestService;
beforeAll(async () => {
  ctx = await startTestService();
});
afterAll(async () => {
  await ctx.close();
});

const T0 = Date.parse('2026-11-01T00:00:00Z');
const window = (seq: number, powerW: number, durationS = 10) => ({
  seq,
  startMs: T0 + seq * durationS * 1000,
  durationS,
  energyJ: powerW * durationS,
  sampleCount: durationS * 100,
  minPowerW: powerW / 2,
  maxPowerW: powerW * 2,
  inferenceCount: 3,
});

async function aggregate(id: string) {
  return (await request(`${ctx.url}/api/devices/${id}`)).body.aggregate;
}

describe('devices over HTTP: register, ingest windows, live footprint', () => {
  it('a registered device without data reports the 1 mW assumption, labelled', async () => {
    const created = await request(`${ctx.url}/api/devices`, {
      method: 'POST',
      token: ctx.token,
      json: { id: 'node-1', name: 'Bench U575', system: 'kws-typical' },
    });
    expect(created.status).toBe(201);
    expect(created.body.spec).toEqual({ system: 'kws-typical', training: 'densenet', trainingDevices: 1, grid: 'epa', lifetimeYears: 3, chargerEfficiency: 1 });
    const footprint = await request(`${ctx.url}/api/devices/node-1/footprint`);
    expect(footprint.status).toBe(200);
    expect(footprint.body.footprint.power).toMatchObject({ kind: 'assumed', powerW: 0.001 });
    expect(footprint.body.footprint.assumptions[0]).toMatch(/assumed at 1 mW/);
  });

  it('posted windows make the use stage follow the measured average; a repeated window changes nothing', async () => {
    const windows = [window(0, 0.0272), window(1, 0.0272), window(2, 0.0272)];
    const first = await request(`${ctx.url}/api/devices/node-1/windows`, { method: 'POST', token: ctx.token, json: { windows } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ inserted: 3, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 });
    const before = await request(`${ctx.url}/api/devices/node-1/footprint`);
    expect(before.body.footprint.power.kind).toBe('measured');
    expect(before.body.footprint.power.powerW).toBeCloseTo(0.0272, 12);
    expect(before.body.footprint.power.observedS).toBe(30);
    expect(before.body.footprint.use.deviceEnergyWh).toBeCloseTo(0.0272 * 3 * 8760, 6);

    const again = await request(`${ctx.url}/api/devices/node-1/windows`, { method: 'POST', token: ctx.token, json: window(1, 0.0272) });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ inserted: 0, duplicates: 1, rejected: 0, overlaps: 0, seqResets: 0 });
    const after = await request(`${ctx.url}/api/devices/node-1/footprint`);
    expect(after.body.footprint.totalKgCO2e).toBe(before.body.footprint.totalKgCO2e);
    const stored = await aggregate('node-1');
    expect(stored).toMatchObject({ windows: 3, observedS: 30, inferences: 9, samples: 3000, maxSeq: 2 });
    expect(stored.energyJ).toBeCloseTo(0.0272 * 30, 12);
  });

  it('a repeated seq with a different payload over the same time is refused (400 overlap, SPEC.md §7): the stored window stays', async () => {
    const res = await request(`${ctx.url}/api/devices/node-1/windows`, { method: 'POST', token: ctx.token, json: window(0, 5) });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.stringMatching(/^windows\.0: reason: overlap: seq 0 .* with stored seq 0/)]);
    expect((await aggregate('node-1')).energyJ).toBeCloseTo(0.0272 * 30, 12);
  });

  it('the fleet endpoint sums every device and says which power is measured', async () => {
    await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'node-2', system: 'ic-worst', grid: 'FRA' } });
    const fleet = await request(`${ctx.url}/api/fleet`);
    expect(fleet.status).toBe(200);
    expect(fleet.body.devices).toBe(2);
    expect(fleet.body).toMatchObject({ registeredDevices: 2, truncated: false, errors: 0 });
    expect(fleet.body.measured).toBe(1);
    expect(fleet.body.assumed).toBe(1);
    const rows = Object.fromEntries(fleet.body.rows.map((row: { id: string }) => [row.id, row]));
    expect(rows['node-1'].powerKind).toBe('measured');
    expect(rows['node-2'].powerKind).toBe('assumed');
    expect(fleet.body.totalKgCO2e).toBeCloseTo(rows['node-1'].totalKgCO2e + rows['node-2'].totalKgCO2e, 12);
  });

  it('PATCH changes the grid and the footprint follows; deployedAt gives the footprint to date', async () => {
    const deployedAt = new Date(Date.now() - 365 * 86400 * 1000).toISOString();
    const res = await request(`${ctx.url}/api/devices/node-1`, { method: 'PATCH', token: ctx.token, json: { grid: 'SWE', deployedAt } });
    expect(res.status).toBe(200);
    expect(res.body.spec.grid).toBe('SWE');
    const footprint = (await request(`${ctx.url}/api/devices/node-1/footprint`)).body.footprint;
    expect(footprint.grid.id).toBe('SWE');
    expect(footprint.accrued.fractionOfLifetime).toBeCloseTo(1 / 3, 3);
    expect(footprint.accrued.upfrontKgCO2e).toBeCloseTo(2.65, 10);
  });

  it('lists devices and recent windows; a fleet filter counts only that fleet', async () => {
    await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'north-1', fleet: 'north' } });
    const north = await request(`${ctx.url}/api/devices?fleet=north`);
    expect(north.body).toMatchObject({ total: 1, devices: [{ id: 'north-1', fleet: 'north' }] });
    const northFleet = await request(`${ctx.url}/api/fleet?fleet=north&rows=false`);
    expect(northFleet.body).toMatchObject({ devices: 1, registeredDevices: 1, truncated: false });
    expect(northFleet.body.rows).toBeUndefined();
    const list = await request(`${ctx.url}/api/devices`);
    expect(list.body.total).toBe(3);
    expect(list.body.devices.map((d: { id: string }) => d.id)).toEqual(['node-1', 'node-2', 'north-1']);
    const windows = await request(`${ctx.url}/api/devices/node-1/windows?limit=2`);
    expect(windows.body.windows.map((w: { seq: number }) => w.seq)).toEqual([2, 1]);
  });
});

describe('bad input: a clear 4xx and nothing stored', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any problem+json body; the assertions check its fields
  const expectProblem = (res: { status: number; contentType: string; body: any }, status: number, pattern: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.contentType).toContain('application/problem+json');
    expect(`${res.body.detail} ${(res.body.errors ?? []).join(' ')}`).toMatch(pattern);
  };

  it('missing or wrong token → 401, device not created', async () => {
    expectProblem(await request(`${ctx.url}/api/devices`, { method: 'POST', json: { id: 'intruder' } }), 401, /missing bearer token/);
    expectProblem(await request(`${ctx.url}/api/devices`, { method: 'POST', token: 'nope', json: { id: 'intruder' } }), 401, /invalid bearer token/);
    expect((await request(`${ctx.url}/api/devices/intruder`)).status).toBe(404);
  });

  it('windows without a token → 401 and the aggregate is unchanged', async () => {
    const before = await aggregate('node-1');
    expectProblem(await request(`${ctx.url}/api/devices/node-1/windows`, { method: 'POST', json: window(50, 1) }), 401, /bearer/);
    expect(await aggregate('node-1')).toEqual(before);
  });

  it('unknown system, absurd lifetime, bad id, duplicate id', async () => {
    expectProblem(await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'x1', system: 'toaster' } }), 400, /unknown system/);
    expectProblem(await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'x2', lifetimeYears: 1e6 } }), 400, /lifetimeYears/);
    expectProblem(await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'bad id/../' } }), 400, /device id/);
    expectProblem(await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'node-1' } }), 409, /exists/);
    expectProblem(await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: '..' } }), 400, /device id/);
    expect((await request(`${ctx.url}/api/devices`)).body.total).toBe(3);
  });

  it.each([
    ['negative energy', { ...window(60, 0.01), energyJ: -1 }, /energyJ/],
    ['non-integer seq', { ...window(60, 0.01), seq: 1.5 }, /seq/],
    ['zero duration', { ...window(60, 0.01), durationS: 0 }, /durationS/],
    ['absurd power (energy in µJ sent as J)', { ...window(60, 0.01), energyJ: 1e7 }, /average power/],
    ['start in the future (µs sent as ms)', { ...window(60, 0.01), startMs: T0 * 1000 }, /future/],
    ['min above max', { ...window(60, 0.01), minPowerW: 1, maxPowerW: 0.5 }, /minPowerW/],
    ['start at 0 (unset clock)', { ...window(60, 0.01), startMs: 0 }, /before 2000/],
    ['average far above max (mJ sent as µJ)', { ...window(60, 0.01), minPowerW: 0.00001, maxPowerW: 0.00002 }, /outside/],
    ['a string for a number', { ...window(60, 0.01), energyJ: '1' }, /energyJ/],
  ])('window with %s → 400, nothing stored', async (_name, json, pattern) => {
    const before = await aggregate('node-1');
    expectProblem(await request(`${ctx.url}/api/devices/node-1/windows`, { method: 'POST', token: ctx.token, json }), 400, pattern);
    expect(await aggregate('node-1')).toEqual(before);
  });

  it('a batch with one bad window stores none of it', async () => {
    const before = await aggregate('node-1');
    const json = { windows: [window(70, 0.01), { ...window(71, 0.01), energyJ: Number.NaN }] };
    // NaN is not JSON: it serialises to null, which is rejected as not a number
    expectProblem(await request(`${ctx.url}/api/devices/node-1/windows`, { method: 'POST', token: ctx.token, json }), 400, /energyJ/);
    expect(await aggregate('node-1')).toEqual(before);
  });

  it('windows for an unregistered device → 404', async () => {
    expectProblem(await request(`${ctx.url}/api/devices/ghost/windows`, { method: 'POST', token: ctx.token, json: window(0, 0.01) }), 404, /not registered/);
  });

  it('a body that is not JSON → 415, never read as an empty body', async () => {
    const res = await request(`${ctx.url}/api/calculate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"power":"27mW"}',
    });
    expectProblem(res, 415, /must be application\/json/);
  });

  it('PATCH with nothing to update → 400, updatedAt unchanged', async () => {
    const before = (await request(`${ctx.url}/api/devices/node-2`)).body.updatedAt;
    expectProblem(await request(`${ctx.url}/api/devices/node-2`, { method: 'PATCH', token: ctx.token, json: {} }), 400, /nothing to update/);
    expect((await request(`${ctx.url}/api/devices/node-2`)).body.updatedAt).toBe(before);
  });

  it('malformed JSON → 400', async () => {
    const res = await request(`${ctx.url}/api/devices`, {
      method: 'POST',
      token: ctx.token,
      headers: { 'content-type': 'application/json' },
      body: '{"id": "x3",',
    });
    expectProblem(res, 400, /not valid JSON/);
  });

  it('oversized body → 413, nothing stored', async () => {
    const before = await aggregate('node-1');
    const windows = Array.from({ length: 5000 }, (_, i) => window(1000 + i, 0.01));
    expectProblem(await request(`${ctx.url}/api/devices/node-1/windows`, { method: 'POST', token: ctx.token, json: { windows } }), 413, /exceeds/);
    expect(await aggregate('node-1')).toEqual(before);
  });

  it('too many windows in one request → 400', async () => {
    const windows = Array.from({ length: 1001 }, (_, i) => ({ seq: 2000 + i, startMs: T0, durationS: 1, energyJ: 0 }));
    expectProblem(await request(`${ctx.url}/api/devices/node-1/windows`, { method: 'POST', token: ctx.token, json: { windows } }), 400, /1000/);
  });

  it('unknown route → 404 problem; rejections are counted in health', async () => {
    expectProblem(await request(`${ctx.url}/api/nothing-here`), 404, /no route/);
    const health = await request(`${ctx.url}/api/health`);
    expect(health.body.status).toBe('ok');
    const http = health.body.sources.find((s: { name: string }) => s.name === 'http');
    expect(http.rejected.unauthorized).toBe(3);
    expect(http.rejected['too-large']).toBe(1);
    expect(http.rejected['malformed-json']).toBe(1);
    expect(http.rejected.validation).toBeGreaterThanOrEqual(10);
    expect(http.counters.windowsInserted).toBe(3);
    expect(http.counters.windowsDuplicate).toBe(1); // the repeated window; the different payload under seq 0 was refused (overlap)
  });

  it('the footprint carries the uncertainty of the measured average and per-inference figures from the aggregate, labelled', async () => {
    await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'node-pi', system: 'kws-typical' } });
    const none = (await request(`${ctx.url}/api/devices/node-pi/footprint`)).body;
    expect(none.powerUncertainty).toBeNull();
    expect(none.perInference).toBeNull();
    const powers = [0.02, 0.03, 0.025, 0.025];
    await request(`${ctx.url}/api/devices/node-pi/windows`, { method: 'POST', token: ctx.token, json: { windows: powers.map((p, seq) => window(seq, p)) } });
    const body = (await request(`${ctx.url}/api/devices/node-pi/footprint`)).body;
    // Equal 10 s windows: the ratio estimator is the mean's standard error, sd / sqrt(n) = sqrt(0.5e-4 / 3) / 2.
    const se = Math.sqrt((0.005 ** 2 * 2) / 3) / 2;
    expect(body.powerUncertainty).toMatchObject({ windows: 4, powerW: expect.closeTo(0.025, 12), instrument: { ids: [], relativeAccuracy: null } });
    expect(body.powerUncertainty.standardErrorW).toBeCloseTo(se, 12);
    expect(body.powerUncertainty.halfWidthW).toBeCloseTo(3.182 * se, 12);
    // 1 J over 12 inferences counted among idle time: the aggregate, and it says so.
    expect(body.perInference.energy).toMatchObject({ basis: 'aggregate', energyPerInferenceJ: expect.closeTo(1 / 12, 12), inferences: 12 });
    const sci = body.perInference.sci;
    expect(sci.R).toMatchObject({ basis: 'measured', inferencesPerS: 12 / 40 });
    expect(sci.I.kgCO2ePerKWh).toBe(body.footprint.grid.kgCO2ePerKWh);
    expect(sci.M.hardwareKgCO2e).toBeCloseTo(body.footprint.totalKgCO2e - body.footprint.byGroup.use - body.footprint.byGroup.training, 12);
    // Over the lifetime, SCI × inferences gives back the footprint without training (the battery's self-discharge is in E).
    expect(sci.kgCO2ePerInference * sci.R.lifetimeInferences).toBeCloseTo(body.footprint.totalKgCO2e - body.footprint.byGroup.training, 9);
  });
});

describe('device footprint: ETag and If-None-Match', () => {
  it('answers 304 while nothing changed and 200 with a new tag once a window is stored', async () => {
    await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'etag-1' } });
    const url = `${ctx.url}/api/devices/etag-1/footprint`;
    const first = await fetch(url);
    const etag = first.headers.get('etag');
    expect(first.status).toBe(200);
    expect(etag).toMatch(/^"[\w.-]+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await first.text();
    expect(JSON.parse(body).device.id).toBe('etag-1');

    const unchanged = await fetch(url, { headers: { 'if-none-match': etag! } });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);

    const posted = await request(`${ctx.url}/api/devices/etag-1/windows`, { method: 'POST', token: ctx.token, json: window(0, 0.02) });
    expect(posted.status).toBe(201);
    const changed = await fetch(url, { headers: { 'if-none-match': etag! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect((await changed.json()).footprint.power.kind).toBe('measured');
  });
});
