/** The fleet index keeps, change by change, exactly what fleetSummary computes from scratch over the whole store. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import type { DeviceSpec } from '../../src/domain/types.js';
import { FleetIndex, LOAD_WAIT_MS, type FleetIndexDeps } from '../../src/service/fleet-index.js';
import { fleetPage, PAGE_SCAN_CLOCK_EVERY, type FleetPageQuery } from '../../src/service/fleet-page.js';
import { StepBudget } from '../../src/service/fleet-step.js';
import { fleetSummary, type FleetDeviceRow, type FleetSummary } from '../../src/service/fleet-summary.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { constantPowerWindow, fleetRig } from '../helpers/fleet-rig.js';

const catalogue = buildCatalogue();
const THRESHOLD_MS = 60_000;
const T0 = 1_764_000_000_000;

const window = constantPowerWindow;

async function setup(options: Pick<FleetIndexDeps, 'expiryChunkDevices'> = {}) {
  let nowMs = T0;
  const clock = () => nowMs;
  const rig = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS, ...options });
  const { store, presence, index } = rig;
  const expected = async (fleet?: string): Promise<FleetSummary> => {
    const entries = await store.listDevicesWithAggregates({ limit: 1_000_000, offset: 0, ...(fleet === undefined ? {} : { fleet }) });
    return fleetSummary(catalogue, entries, nowMs, THRESHOLD_MS, (id) => presence.get(id));
  };
  const allRows = async (query: Partial<FleetPageQuery> = {}): Promise<FleetDeviceRow[]> =>
    (await fleetPage(index, { status: 'all', sort: 'id', direction: 1, offset: 0, limit: 1_000_000, ...query }, nowMs, catalogue.assumptions.assumedPowerW))
      .rows;
  return {
    ...rig,
    expected,
    allRows,
    setNow: (ms: number) => (nowMs = ms),
    now: () => nowMs,
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;
let ctx: Setup | undefined;
afterEach(async () => {
  ctx?.index.stop();
  await ctx?.store.close();
  ctx = undefined;
});

const SPECS: DeviceSpec[] = [
  SEED_DEFAULT_SPEC,
  { ...SEED_DEFAULT_SPEC, system: 'ic-typical', lifetimeYears: 10 },
  { ...SEED_DEFAULT_SPEC, grid: 'custom:0.9', battery: { capacityWh: 0.5, cycleLife: 50 } },
];

/** The totals of a summary, as the index reports them (without rows). */
function totalsOf(summary: FleetSummary) {
  const { rows: _rows, ...totals } = summary;
  return totals;
}

function expectTotalsMatch(actual: ReturnType<FleetIndex['totals']>, summary: FleetSummary): void {
  const expected = totalsOf(summary);
  // Counts are exact; sums were built in another order (added and taken out change by change), so equal to 1e-9.
  expect({ devices: actual.devices, errors: actual.errors, online: actual.online, measured: actual.measured, assumed: actual.assumed }).toEqual({
    devices: expected.devices,
    errors: expected.errors,
    online: expected.online,
    measured: expected.measured,
    assumed: expected.assumed,
  });
  for (const key of ['totalKgCO2e', 'assumedTotalKgCO2e', 'accruedKgCO2e', 'energyJ', 'observedS'] as const) expect(actual[key]).toBeCloseTo(expected[key], 9);
  for (const key of ['min', 'typical', 'max'] as const) expect(actual.totalRange[key]).toBeCloseTo(expected.totalRange[key], 9);
}

describe('FleetIndex', () => {
  it('loads the store, then follows registrations, windows, edits and presence: rows equal fleetSummary, totals too', async () => {
    ctx = await setup();
    const { store, ingest, index, presence } = ctx;
    for (let i = 0; i < 12; i += 1) {
      await store.createDevice({
        id: `d${String(i).padStart(2, '0')}`,
        fleet: i % 3 === 0 ? 'north' : null,
        deployedAt: i % 2 === 0 ? new Date(T0 - 86_400_000 * (i + 1)).toISOString() : null,
        spec: SPECS[i % SPECS.length]!,
      });
    }
    // A device whose spec no longer resolves is a row with its error, counted in `errors`.
    await store.createDevice({ id: 'broken', spec: { ...SEED_DEFAULT_SPEC, system: 'no-such-system' } });
    await ingest.submitWindows([window('d01', 0, 0.02, T0 - 30_000), window('d02', 0, 0.0001, T0 - 90_000)]);
    await index.start();
    expect(await ctx.allRows()).toEqual((await ctx.expected()).rows);
    expectTotalsMatch(index.totals(), await ctx.expected());

    // Changes after the load arrive through the bus: a window, a new device (announced), a patch, a presence report.
    await ingest.submitWindows([window('d01', 1, 0.05, T0 - 20_000), window('d05', 0, 0.166, T0 - 10_000)]);
    await ingest.announce({ deviceId: 'new-1', fleet: 'north' });
    await store.updateDevice('d03', { fleet: 'south', spec: { lifetimeYears: 7 } });
    ctx.bus.publish({ type: 'device', deviceId: 'd03' });
    presence.report('d07', 'online', 'status');
    await index.current();
    expect(await ctx.allRows()).toEqual((await ctx.expected()).rows);
    expectTotalsMatch(index.totals(), await ctx.expected());
    for (const fleet of ['north', 'south']) expectTotalsMatch(index.totals(fleet), await ctx.expected(fleet));
    expect(index.totals().online).toBe(3); // d01, d05 by their last windows, d07 by presence
  });

  it('counts a device offline once its last window is older than the threshold, without any event; a clock that goes back recounts', async () => {
    ctx = await setup();
    const { store, ingest, index } = ctx;
    for (const id of ['a', 'b', 'c']) await store.createDevice({ id, spec: SEED_DEFAULT_SPEC });
    await index.start();
    await ingest.submitWindows([window('a', 0, 0.01, T0 - 10_000), window('b', 0, 0.01, T0 - 40_000)]); // ends at T0 and T0 - 30 s
    await index.current();
    expect(index.totals().online).toBe(2);
    ctx.setNow(T0 - 30_000 + THRESHOLD_MS); // b's window ended exactly the threshold ago: still online
    expect(index.totals().online).toBe(2);
    expectTotalsMatch(index.totals(), await ctx.expected());
    ctx.setNow(T0 - 29_999 + THRESHOLD_MS);
    expect(index.totals().online).toBe(1);
    ctx.setNow(T0 + THRESHOLD_MS + 1);
    expect(index.totals().online).toBe(0);
    expectTotalsMatch(index.totals(), await ctx.expected());
    ctx.setNow(T0);
    expect(index.totals().online).toBe(2);
    expectTotalsMatch(index.totals(), await ctx.expected());
  });

  it('applies a mass expiry a chunk per turn of the event loop, the rest without any further call, to the exact count', async () => {
    ctx = await setup({ expiryChunkDevices: 2 });
    const { store, ingest, index } = ctx;
    const ids = ['m0', 'm1', 'm2', 'm3', 'm4'];
    for (const id of ids) await store.createDevice({ id, spec: SEED_DEFAULT_SPEC });
    await index.start();
    // Every window ends at the same moment: all five expire together.
    await ingest.submitWindows(ids.map((id) => window(id, 0, 0.01, T0 - 10_000)));
    await index.current();
    expect(index.totals().online).toBe(5);
    ctx.setNow(T0 + THRESHOLD_MS + 1);
    // One call applies one chunk (2); the other three follow in the next turns, with no further call (the rows'
    // `online` flags are read here, which applies nothing).
    expect(index.totals().online).toBe(3);
    const countedOnline = () => index.devices().filter((row) => row.online).length;
    expect(countedOnline()).toBe(3);
    for (let turn = 0; turn < 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(countedOnline()).toBe(0);
    expectTotalsMatch(index.totals(), await ctx.expected());
  });

  it('accrued totals follow the clock within the refresh period; served rows are accrued to the request time', async () => {
    ctx = await setup();
    const { store, index } = ctx;
    await store.createDevice({ id: 'deployed', deployedAt: new Date(T0 - 86_400_000).toISOString(), spec: SEED_DEFAULT_SPEC });
    await index.start();
    const before = index.totals().accruedKgCO2e;
    ctx.setNow(T0 + 30 * 86_400_000);
    // A row is accrued at the time it is served ...
    expect(await ctx.allRows()).toEqual((await ctx.expected()).rows);
    // ... and the totals say how old their accrued figure may be.
    expect(index.totals().accruedAtMs).toBeLessThanOrEqual(T0);
    expect(index.totals().accruedKgCO2e).toBe(before);
  });
});

describe('FleetIndex while it loads', () => {
  it('answers from the devices loaded so far after LOAD_WAIT_MS, saying so, and completely once loaded', async () => {
    ctx = await setup();
    const { store, index } = ctx;
    for (const id of ['a', 'b', 'c']) await store.createDevice({ id, spec: SEED_DEFAULT_SPEC });
    const list = store.listDevicesWithAggregates.bind(store);
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    store.listDevicesWithAggregates = async (query) => {
      await gate; // the store is slow to give the first page
      return list(query);
    };
    const waited = performance.now();
    await index.current();
    expect(performance.now() - waited).toBeGreaterThanOrEqual(LOAD_WAIT_MS - 5);
    expect(index.complete).toBe(false);
    expect(index.totals().devices).toBe(0);
    expect(index.registeredDevices()).toBe(3);
    release();
    await index.start();
    await index.current();
    expect(index.complete).toBe(true);
    expect(index.registeredDevices()).toBe(3);
    expectTotalsMatch(index.totals(), await ctx.expected());
  });
});

describe('fleetPage', () => {
  it('pages, sorts (ties by id) and filters like the dashboard did over every row', async () => {
    ctx = await setup();
    const { store, ingest, index } = ctx;
    const powers = [0.02, 0.001, 0.02, 0.3, 0.002, 0.004, 0.02, 0.05];
    for (let i = 0; i < powers.length; i += 1)
      await store.createDevice({ id: `n${i}`, name: i % 2 === 0 ? `greenhouse ${i}` : `n${i}`, spec: SEED_DEFAULT_SPEC });
    await store.createDevice({ id: 'silent', spec: SEED_DEFAULT_SPEC });
    await ingest.submitWindows(powers.map((powerW, i) => window(`n${i}`, 0, powerW, T0 - 10_000 - i * 20_000)));
    await index.start();
    await index.current();
    const rows = (await ctx.expected()).rows;
    const byPowerDesc = [...rows].sort((a, b) => b.powerW - a.powerW || (a.id < b.id ? -1 : 1));
    expect((await ctx.allRows({ sort: 'power', direction: -1 })).map((row) => row.id)).toEqual(byPowerDesc.map((row) => row.id));
    const page = await fleetPage(index, { status: 'all', sort: 'power', direction: -1, offset: 2, limit: 3 }, ctx.now(), catalogue.assumptions.assumedPowerW);
    expect(page).toEqual({ matched: rows.length, rows: byPowerDesc.slice(2, 5) });
    expect((await ctx.allRows({ text: 'GreenHouse' })).map((row) => row.id)).toEqual(['n0', 'n2', 'n4', 'n6']);
    expect((await ctx.allRows({ status: 'assumed' })).map((row) => row.id)).toEqual(['silent']);
    // n1 reports exactly the assumed 1 mW: not above it
    expect(catalogue.assumptions.assumedPowerW).toBe(0.001);
    expect((await ctx.allRows({ status: 'above' })).map((row) => row.id)).toEqual(['n0', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']);
    const online = rows.filter((row) => row.online).map((row) => row.id);
    expect(online.length).toBeGreaterThan(0);
    expect(online.length).toBeLessThan(rows.length);
    expect((await ctx.allRows({ status: 'online' })).map((row) => row.id)).toEqual(online);
    expect((await ctx.allRows({ status: 'offline' })).map((row) => row.id)).toEqual(rows.filter((row) => !row.online).map((row) => row.id));
    const beyond = await fleetPage(index, { status: 'all', sort: 'id', direction: 1, offset: 100, limit: 10 }, ctx.now(), 0.001);
    expect(beyond).toEqual({ matched: rows.length, rows: [] });
  });

  it('scans a large fleet in steps, yielding to the event loop between them, with the page of one uninterrupted scan', async () => {
    ctx = await setup();
    const { store, ingest, index } = ctx;
    const devices = 3 * PAGE_SCAN_CLOCK_EVERY + 5;
    await store.createDevices(Array.from({ length: devices }, (_, i) => ({ id: `d${i}`, fleet: `f${i % 4}`, spec: SEED_DEFAULT_SPEC })));
    // 40 distinct powers: most of the page is ties, ordered by id.
    await ingest.submitWindows(Array.from({ length: devices }, (_, i) => window(`d${i}`, 0, 0.001 * (1 + (i % 40)), T0 - 10_000 - (i % 90) * 1_000)));
    await index.start();
    await index.current();
    const query: FleetPageQuery = { status: 'online', fleet: 'f1', sort: 'power', direction: -1, offset: 30, limit: 100 };
    const assumedPowerW = catalogue.assumptions.assumedPowerW;
    const whole = await fleetPage(index, query, ctx.now(), assumedPowerW, new StepBudget(Infinity));
    let otherWorkRan = false;
    setImmediate(() => (otherWorkRan = true));
    // A budget of 0 ms is spent at once: the scan yields at every look at the clock.
    const stepped = await fleetPage(index, query, ctx.now(), assumedPowerW, new StepBudget(0));
    expect(otherWorkRan).toBe(true);
    expect(stepped).toEqual(whole);
    // The oracle: every row, filtered and sorted whole.
    const expected = index
      .devices()
      .map((row) => index.fleetRow(row, ctx!.now()))
      .filter((row) => row.fleet === 'f1' && row.online)
      .sort((a, b) => b.powerW - a.powerW || (a.id < b.id ? -1 : 1));
    expect(whole.matched).toBe(expected.length);
    expect(whole.rows.map((row) => row.id)).toEqual(expected.slice(30, 130).map((row) => row.id));
  });
});

describe('FleetIndex.storedNow (the footprint read from memory)', () => {
  it('gives what the store holds now, and nothing while the index may be behind it: before the load, a change heard and not re-read, a shared store', async () => {
    ctx = await setup();
    const { store, ingest, index } = ctx;
    await store.createDevice({ id: 'a', deployedAt: new Date(T0 - 86_400_000).toISOString(), spec: SPECS[1]! });
    await store.createDevice({ id: 'b', spec: { ...SPECS[1]! } });
    await ingest.submitWindows([window('a', 0, 0.02, T0 - 30_000)]);
    expect(index.storedNow('a')).toBeUndefined(); // not loaded
    await index.start();
    const expectStored = async (id: string): Promise<void> => {
      const row = index.storedNow(id);
      expect(row).toBeDefined();
      expect(JSON.stringify(row!.device)).toBe(JSON.stringify(await store.getDevice(id)));
      expect(JSON.stringify(row!.aggregate ?? undefined)).toBe(JSON.stringify(await store.getAggregate(id)));
    };
    await expectStored('a');
    await expectStored('b');
    expect(index.storedNow('b')!.device.spec).toBe(index.storedNow('a')!.device.spec); // equal specs share one object
    expect(index.storedNow('nobody')).toBeUndefined();

    // A window stored: its event arrives before submitWindows resolves, so the row is not used until it is re-read.
    await ingest.submitWindows([window('a', 1, 0.05, T0 - 20_000)]);
    expect(index.storedNow('a')).toBeUndefined();
    expect(index.storedNow('b')).toBeDefined();
    await index.current();
    await expectStored('a');
    expect(index.storedNow('a')!.aggregate!.windows).toBe(2);

    // An edit, announced on the bus: the same.
    await store.updateDevice('b', { name: 'renamed' });
    ctx.bus.publish({ type: 'device', deviceId: 'b' });
    expect(index.storedNow('b')).toBeUndefined();
    await index.current();
    await expectStored('b');
    expect(index.storedNow('b')!.device.name).toBe('renamed');
  });

  it('is never used with a shared store (other instances change it without an event here)', async () => {
    ctx = await setup();
    const shared = new FleetIndex({
      store: ctx.store,
      catalogue,
      bus: ctx.bus,
      presence: ctx.presence,
      clock: ctx.now,
      onlineThresholdMs: THRESHOLD_MS,
      syncIntervalMs: 60_000,
    });
    try {
      await ctx.store.createDevice({ id: 'a', spec: SPECS[0]! });
      await shared.start();
      expect(shared.get('a')).toBeDefined();
      expect(shared.storedNow('a')).toBeUndefined();
    } finally {
      shared.stop();
    }
  });
});
