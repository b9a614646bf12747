/** GET /api/fleet/overview's figures: each device's state, the power bins, the groups by fleet, the online history. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import type { EnergyWindow } from '../../src/domain/types.js';
import { FleetIndex } from '../../src/service/fleet-index.js';
import { deviceState, fleetOverview, powerBin, POWER_BIN_EDGES_W, type FleetGroup, type FleetOverview } from '../../src/service/fleet-overview.js';
import { OverviewSums } from '../../src/service/fleet-overview-sums.js';
import { OnlineHistory } from '../../src/service/online-history.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { constantPowerWindow, fleetRig } from '../helpers/fleet-rig.js';

const catalogue = buildCatalogue();
const THRESHOLD_MS = 60_000;
const T0 = 1_764_000_000_000;

const window = (deviceId: string, seq: number, powerW: number, startMs: number): EnergyWindow => constantPowerWindow(deviceId, seq, powerW, startMs, 0);

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('fleetOverview', () => {
  it('counts online, stale and offline devices, bins measured power, groups by fleet', async () => {
    let nowMs = T0;
    const clock = () => nowMs;
    const { store, presence, ingest, index, close } = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS });
    cleanup = close;
    for (const [id, fleet] of [
      ['fresh', 'north'],
      ['silent-http', 'north'],
      ['silent-mqtt', 'south'],
      ['will-fired', 'south'],
      ['never', null],
    ] as const) {
      await store.createDevice({ id, fleet, spec: SEED_DEFAULT_SPEC });
    }
    await ingest.submitWindows([
      window('fresh', 0, 0.0015, T0 - 20_000), // ends 10 s ago: 1.5 mW, bin [1 mW, 2 mW)
      window('silent-http', 0, 0.03, T0 - 200_000), // ends 190 s ago, no presence: offline
      window('silent-mqtt', 0, 0.00004, T0 - 200_000), // connected by status, but silent: stale
      window('will-fired', 0, 20, T0 - 20_000), // fresh window, but its last will fired: offline
    ]);
    presence.report('silent-mqtt', 'online', 'status');
    presence.report('will-fired', 'offline', 'status');
    await index.start();
    await index.current();

    const overview = fleetOverview(index, nowMs);
    expect(overview.states).toEqual({ online: 1, stale: 1, offline: 3 });
    expect(overview.lastSeenMs).toBe(T0 - 10_000);
    expect(overview.power.measured).toBe(4);
    expect(overview.power.assumed).toBe(1);
    const bins = Object.fromEntries(overview.power.counts.flatMap((count, i) => (count > 0 ? [[POWER_BIN_EDGES_W[i], count]] : [])));
    expect(bins).toEqual({ 0.001: 1, 0.02: 1, 0.00002: 1 });
    expect(overview.power.above).toBe(1); // 20 W ≥ the last edge (10 W)
    expect(overview.fleets.map((g) => [g.fleet, g.devices, g.online, g.stale, g.offline])).toEqual([
      ['north', 2, 1, 0, 1],
      ['south', 2, 0, 1, 1],
      [null, 1, 0, 0, 1],
    ]);
    const north = overview.fleets[0]!;
    expect(north.averagePowerW).toBeCloseTo((0.0015 * 10 + 0.03 * 10) / 20, 12);
    expect(north.totalKgCO2e).toBeCloseTo(index.totals('north').totalKgCO2e, 12);

    expect(fleetOverview(index, nowMs, 'south').states).toEqual({ online: 0, stale: 1, offline: 1 });
    // Time passes: the fresh device ages past the threshold.
    nowMs = T0 + THRESHOLD_MS;
    expect(fleetOverview(index, nowMs).states).toEqual({ online: 0, stale: 1, offline: 4 });
  });

  it('keeps the figures of a pass over every device as devices report, move fleets, change presence, age, and the clock goes back', async () => {
    let nowMs = T0;
    const clock = () => nowMs;
    // Two expiries a turn: a read sees the rest applied only after the turns that drain them.
    const { store, bus, presence, ingest, index, close } = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS, expiryChunkDevices: 2 });
    cleanup = close;
    const devices = 40;
    await store.createDevices(Array.from({ length: devices }, (_, i) => ({ id: `d${i}`, fleet: i % 5 === 4 ? null : `f${i % 3}`, spec: SEED_DEFAULT_SPEC })));
    let seq = 0;
    const report = (ids: number[], ageMs: number) =>
      ingest.submitWindows(ids.map((i) => window(`d${i}`, seq++, 0.00001 * (1 + ((i * 7) % 40)) ** 2, nowMs - ageMs - 10_000)));
    await report(
      Array.from({ length: 30 }, (_, i) => i),
      0,
    );
    await index.start();
    await index.current();
    /** Expiries applied in steps of two per turn: let those turns run. */
    const drained = async () => {
      for (let i = 0; i < devices; i += 1) await new Promise((resolve) => setImmediate(resolve));
    };
    const check = async (label: string) => {
      await index.current();
      index.overview(nowMs);
      await drained();
      for (const fleet of [undefined, 'f0', 'f1', 'f2', 'nowhere']) {
        const kept = fleetOverview(index, nowMs, fleet);
        const pass = referencePass(index, nowMs, fleet);
        expect(withoutFloats(kept), `${label}, fleet ${fleet}`).toEqual(withoutFloats(pass));
        kept.fleets.forEach((group, g) => {
          for (const key of ['totalKgCO2e', 'assumedTotalKgCO2e', 'energyJ', 'observedS'] as const) expect(group[key]).toBeCloseTo(pass.fleets[g]![key], 9);
        });
      }
    };
    await check('loaded');
    expect(fleetOverview(index, nowMs).states.online).toBe(30);

    presence.report('d1', 'online', 'status');
    presence.report('d2', 'offline', 'status');
    presence.report('d35', 'online', 'status'); // connected, never reported: stale
    await check('presence');

    nowMs += THRESHOLD_MS / 2;
    await report([0, 1, 2, 3], 0);
    await check('half the threshold later, four report again');

    nowMs += THRESHOLD_MS / 2 + 1;
    await check('the first windows aged past the threshold');
    expect(fleetOverview(index, nowMs).states.online).toBe(3); // d0, d1, d3; d2's will fired

    // d0 holds the latest window of f0 and of the fleet; it moves to f1 and its next window is older than its last.
    await store.updateDevice('d0', { fleet: 'f1' });
    bus.publish({ type: 'device', deviceId: 'd0' });
    await check('d0 moved to f1');
    await store.updateDevice('d3', { fleet: null });
    bus.publish({ type: 'device', deviceId: 'd3' });
    await check('d3 left its fleet');

    nowMs += 10 * THRESHOLD_MS;
    presence.report('d1', 'offline', 'connection');
    await check('everything aged');
    expect(fleetOverview(index, nowMs).states.online).toBe(0);

    nowMs = T0 + 1_000; // the clock went back: the first windows are fresh again
    await check('the clock went back');
    expect(fleetOverview(index, nowMs).states.online).toBeGreaterThan(20);
  });

  it('recounts every device after the clock went back in chunks over several turns, saying so until done, then equals a pass', async () => {
    let nowMs = T0;
    const clock = () => nowMs;
    const chunk = 4;
    const { store, presence, ingest, index, close } = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS, expiryChunkDevices: chunk });
    cleanup = close;
    const devices = 40;
    await store.createDevices(Array.from({ length: devices }, (_, i) => ({ id: `d${i}`, fleet: `f${i % 3}`, spec: SEED_DEFAULT_SPEC })));
    await ingest.submitWindows(Array.from({ length: devices }, (_, i) => window(`d${i}`, 0, 0.001 * (1 + (i % 7)), T0 - 10_000 - (i % 4) * 1_000)));
    presence.report('d5', 'online', 'status');
    await index.start();
    await index.current();
    const turns = async (): Promise<number> => {
      for (let turn = 1; turn <= 10 * devices; turn += 1) {
        await new Promise((resolve) => setImmediate(resolve));
        if (index.complete) return turn;
      }
      throw new Error('the recount never ended');
    };
    /** Expiries applied a chunk per turn: let those turns run. */
    const drained = async () => {
      for (let i = 0; i < devices; i += 1) await new Promise((resolve) => setImmediate(resolve));
    };
    nowMs += 10 * THRESHOLD_MS; // every window aged: all offline (d5 stale)
    index.totals();
    await drained();
    expect(index.totals().online).toBe(1);

    nowMs = T0; // the clock stepped back: every window is fresh again
    expect(index.totals().online).toBeLessThan(devices); // one chunk recounted…
    expect(index.complete).toBe(false); // …and the answers say they are partial
    expect(fleetOverview(index, nowMs).complete).toBe(false);
    const taken = await turns();
    expect(taken).toBe(devices / chunk - 2); // a chunk per turn, not all in one (two chunks went with the two reads above)
    expect(index.totals().online).toBe(index.devices().filter((row) => index.isOnline(row, nowMs)).length);
    expect(index.totals().online).toBe(devices);
    for (const fleet of [undefined, 'f0', 'f1', 'f2'])
      expect(withoutFloats(fleetOverview(index, nowMs, fleet))).toEqual(withoutFloats(referencePass(index, nowMs, fleet)));
    // Time goes on: the recounted devices expire again through the heap, as if the clock had never gone back.
    nowMs += THRESHOLD_MS + 1;
    index.totals();
    await drained();
    expect(index.totals().online).toBe(1);
    expect(withoutFloats(fleetOverview(index, nowMs))).toEqual(withoutFloats(referencePass(index, nowMs)));
  });

  it("finds a group's latest window again after its latest device left, in chunks, saying so, and exactly when a counted device leaves meanwhile", async () => {
    const nowMs = T0;
    const clock = () => nowMs;
    const chunk = 4;
    const { store, bus, ingest, index, close } = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS, expiryChunkDevices: chunk });
    cleanup = close;
    const devices = 10; // d0…d9: slots in id order; f0 holds d0, d3, d6, d9, the later the lower the index
    await store.createDevices(Array.from({ length: devices }, (_, i) => ({ id: `d${i}`, fleet: `f${i % 3}`, spec: SEED_DEFAULT_SPEC })));
    await ingest.submitWindows(Array.from({ length: devices }, (_, i) => window(`d${i}`, 0, 0.001, T0 - 10_000 - i * 100)));
    await index.start();
    await index.current();
    const lastSeenOf = (i: number) => T0 - i * 100;
    const f0 = () => fleetOverview(index, nowMs, 'f0').lastSeenMs;
    expect(f0()).toBe(lastSeenOf(0));
    const move = async (id: string, fleet: string) => {
      await store.updateDevice(id, { fleet });
      bus.publish({ type: 'device', deviceId: id });
      await index.current();
    };

    await move('d0', 'f1'); // f0's latest left: f0's latest is found again by a pass over the slots
    expect(fleetOverview(index, nowMs).complete).toBe(false); // one chunk (d0…d3) done: d3 is f0's latest so far
    expect(index.complete).toBe(true); // the fleet's totals and pages have no latest-window figure
    await move('d3', 'f2'); // the latest so far leaves too: the pass starts over
    expect(index.overviewComplete).toBe(false);
    for (let turn = 0; turn < 2 * devices && !index.overviewComplete; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(index.overviewComplete).toBe(true);
    expect(f0()).toBe(lastSeenOf(6));
    for (const fleet of [undefined, 'f0', 'f1', 'f2'])
      expect(withoutFloats(fleetOverview(index, nowMs, fleet))).toEqual(withoutFloats(referencePass(index, nowMs, fleet)));
  });

  it("stays complete while a group's latest device keeps reporting: a newer window keeps the group's latest exact", async () => {
    let nowMs = T0;
    const clock = () => nowMs;
    const { store, ingest, index, close } = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS, expiryChunkDevices: 4 });
    cleanup = close;
    const devices = 10; // more than a chunk: a pass over the slots would take several turns
    await store.createDevices([
      ...Array.from({ length: devices }, (_, i) => ({ id: `d${i}`, fleet: 'big', spec: SEED_DEFAULT_SPEC })),
      { id: 'solo-1', fleet: 'solo', spec: SEED_DEFAULT_SPEC },
    ]);
    await ingest.submitWindows(Array.from({ length: devices }, (_, i) => window(`d${i}`, 0, 0.001, T0 - 60_000 + i * 100)));
    await index.start();
    await index.current();
    const reads: boolean[] = [];
    for (let seq = 0; seq < 20; seq += 1) {
      nowMs += 1_000;
      // solo-1 holds its group's latest window and, from its first window on, the fleet's.
      await ingest.submitWindows([window('solo-1', seq, 0.002, nowMs - 10_000)]);
      await index.current();
      reads.push(fleetOverview(index, nowMs).complete);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(reads).toEqual(new Array<boolean>(20).fill(true));
    expect(fleetOverview(index, nowMs, 'solo').lastSeenMs).toBe(nowMs);
    for (const fleet of [undefined, 'big', 'solo'])
      expect(withoutFloats(fleetOverview(index, nowMs, fleet))).toEqual(withoutFloats(referencePass(index, nowMs, fleet)));
  });

  it("ends the search for a group's latest window while the latest device it counted so far keeps reporting", async () => {
    const nowMs = T0;
    const clock = () => nowMs;
    const { store, ingest, index, close } = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS });
    cleanup = close;
    const devices = 41;
    await store.createDevices(Array.from({ length: devices }, (_, i) => ({ id: `d${String(i).padStart(2, '0')}`, fleet: 'g', spec: SEED_DEFAULT_SPEC })));
    // d00's window ends an hour ahead (a device clock ahead, within the accepted skew); d01 is the newest of the rest.
    await ingest.submitWindows([
      window('d00', 0, 0.001, T0 + 3_600_000),
      ...Array.from({ length: devices - 1 }, (_, i) => window(`d${String(i + 1).padStart(2, '0')}`, 0, 0.001, T0 - 60_000 - i * 100)),
    ]);
    await index.start();
    await index.current();
    // The sums on their own, over the index's rows, stepped by hand: one report of d01 between two advances.
    const rows = index.devices();
    const sums = new OverviewSums(
      () => rows,
      () => undefined,
      THRESHOLD_MS,
    );
    for (const row of rows) sums.add(row, nowMs);
    const [d00, d01] = [rows[0]!, rows[1]!];
    sums.remove(d00);
    d00.fleet = 'other';
    sums.add(d00, nowMs); // g's latest left: a search over the slots, 4 a step
    const chunk = 4;
    let steps = 0;
    for (; steps < 10 * devices && !sums.advance(chunk); steps += 1) {
      sums.remove(d01); // d01, the latest the search counted in its first step, reports a newer window
      d01.lastSeenMs! += 10_000;
      sums.add(d01, nowMs);
    }
    expect(sums.pending).toBe(false);
    expect(steps).toBeLessThanOrEqual(Math.ceil(devices / chunk) + 1);
    expect(sums.figures('g').lastSeenMs).toBe(d01.lastSeenMs);
  });

  it('one expiry heap for the totals and the overview: a fresh device connected by its status turns stale, one without presence offline', async () => {
    let nowMs = T0;
    const clock = () => nowMs;
    const { store, presence, ingest, index, close } = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS, expiryChunkDevices: 1 });
    cleanup = close;
    await store.createDevices(['mqtt', 'http', 'gone'].map((id) => ({ id, fleet: 'f', spec: SEED_DEFAULT_SPEC })));
    presence.report('mqtt', 'online', 'status');
    presence.report('gone', 'offline', 'status');
    await ingest.submitWindows(['mqtt', 'http', 'gone'].map((id, i) => window(id, 0, 0.001, T0 - 10_000 - i * 1_000)));
    await index.start();
    await index.current();
    expect(fleetOverview(index, nowMs).states).toEqual({ online: 2, stale: 0, offline: 1 });
    expect(index.totals().online).toBe(2);
    nowMs += THRESHOLD_MS + 1; // both fresh windows aged: each surfaces once from the heap, a turn each
    index.totals();
    for (let turn = 0; turn < 4; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(fleetOverview(index, nowMs).states).toEqual({ online: 0, stale: 1, offline: 2 });
    expect(index.totals().online).toBe(1); // connected by its status: online in the totals, stale in the overview
    expect(withoutFloats(fleetOverview(index, nowMs))).toEqual(withoutFloats(referencePass(index, nowMs)));
  });

  it('a group whose observed devices all left shows no power and exactly zero sums, not what adding and taking out left', async () => {
    const nowMs = T0;
    const clock = () => nowMs;
    // No presence changes here: that the rig publishes them on the bus changes nothing.
    const { store, bus, ingest, index, close } = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS });
    cleanup = close;
    await store.createDevices(['a', 'b', 'c'].map((id) => ({ id, fleet: 'f1', spec: SEED_DEFAULT_SPEC })));
    await index.start();
    // 0.1 + 0.2 − 0.1 − 0.2 is 5.6e-17 in floats: a group left with only c would show a power of residue ÷ residue.
    await ingest.submitWindows([
      { ...window('a', 0, 0.01, nowMs - 20_000), durationS: 0.1, energyJ: 0.001 },
      { ...window('b', 0, 0.02, nowMs - 20_000), durationS: 0.2, energyJ: 0.004 },
    ]);
    await index.current();
    expect(index.totals('f1').observedS).toBeCloseTo(0.3, 12);
    for (const id of ['a', 'b']) {
      await store.updateDevice(id, { fleet: 'f2' });
      bus.publish({ type: 'device', deviceId: id });
      await index.current();
    }
    const group = () => fleetOverview(index, nowMs).fleets.find((g) => g.fleet === 'f1')!;
    expect(group().devices).toBe(1);
    expect([group().observedS, group().energyJ, group().averagePowerW]).toEqual([0, 0, null]);
    const totals = index.totals('f1');
    expect([totals.devices, totals.observedS, totals.energyJ, totals.averagePowerW]).toEqual([1, 0, 0, null]);

    await store.updateDevice('c', { fleet: 'f2' });
    bus.publish({ type: 'device', deviceId: 'c' });
    await index.current();
    const empty = index.totals('f1');
    expect([empty.devices, empty.totalKgCO2e, empty.assumedTotalKgCO2e, empty.accruedKgCO2e]).toEqual([0, 0, 0, 0]);
    expect(empty.totalRange).toEqual({ min: 0, typical: 0, max: 0 });
  });

  it('bins by lower edge: an edge belongs to the bin above it', () => {
    expect(powerBin(0.001)).toBe(POWER_BIN_EDGES_W.indexOf(0.001));
    expect(powerBin(0.00199)).toBe(POWER_BIN_EDGES_W.indexOf(0.001));
    expect(powerBin(9e-6)).toBe(-1);
    expect(powerBin(10)).toBe(POWER_BIN_EDGES_W.length - 1);
  });
});

describe('OnlineHistory', () => {
  it('keeps one sample per step in a bounded ring, oldest first, and starts over when the clock goes back', () => {
    const history = new OnlineHistory(10, 3);
    expect(history.maybeRecord(0, 1, 5)).toBe(true);
    expect(history.maybeRecord(5, 9, 9)).toBe(false); // within the step
    for (const t of [10, 20, 30]) history.maybeRecord(t, t, 5);
    expect(history.list().map((s) => s.atMs)).toEqual([10, 20, 30]);
    history.maybeRecord(25, 2, 5);
    expect(history.list()).toEqual([{ atMs: 25, online: 2, devices: 5 }]);
  });
});

/** The overview by one pass over the index's devices (as the service computed it before it kept running sums). */
function referencePass(index: FleetIndex, nowMs: number, fleet?: string): FleetOverview {
  const states = { online: 0, stale: 0, offline: 0 };
  const counts = new Array<number>(POWER_BIN_EDGES_W.length - 1).fill(0);
  const power = { edgesW: [...POWER_BIN_EDGES_W], counts, below: 0, above: 0, measured: 0, assumed: 0 };
  const groups = new Map<string | null, FleetGroup>();
  let lastSeenMs: number | null = null;
  for (const row of index.devices()) {
    if (fleet !== undefined && row.fleet !== fleet) continue;
    const state = deviceState(row, index.presenceOf(row.id), nowMs, index.onlineThresholdMs);
    states[state] += 1;
    let group = groups.get(row.fleet);
    if (group === undefined) {
      group = {
        fleet: row.fleet,
        devices: 0,
        online: 0,
        stale: 0,
        offline: 0,
        measured: 0,
        totalKgCO2e: 0,
        assumedTotalKgCO2e: 0,
        energyJ: 0,
        observedS: 0,
        averagePowerW: null,
        lastSeenMs: null,
      };
      groups.set(row.fleet, group);
    }
    group.devices += 1;
    group[state] += 1;
    group.energyJ += row.energyJ;
    group.observedS += row.observedS;
    if (row.lastSeenMs !== null) {
      lastSeenMs = Math.max(lastSeenMs ?? -Infinity, row.lastSeenMs);
      group.lastSeenMs = Math.max(group.lastSeenMs ?? -Infinity, row.lastSeenMs);
    }
    if (row.error !== null) continue;
    group.totalKgCO2e += row.totalKgCO2e;
    group.assumedTotalKgCO2e += row.assumedTotalKgCO2e;
    if (!row.measured) {
      power.assumed += 1;
      continue;
    }
    group.measured += 1;
    power.measured += 1;
    const bin = powerBin(row.powerW);
    if (bin < 0) power.below += 1;
    else if (bin >= counts.length) power.above += 1;
    else counts[bin]! += 1;
  }
  const fleets = [...groups.values()].map((group) => ({ ...group, averagePowerW: group.observedS > 0 ? group.energyJ / group.observedS : null }));
  fleets.sort((a, b) => b.devices - a.devices || (a.fleet ?? '\uffff').localeCompare(b.fleet ?? '\uffff'));
  const onlineHistory = { stepMs: index.onlineHistory.step, samples: fleet === undefined ? index.onlineHistory.list() : [] };
  return { computedAtMs: nowMs, onlineThresholdMs: index.onlineThresholdMs, complete: true, states, lastSeenMs, power, fleets, onlineHistory };
}

/** The overview with its running sums of real numbers left out (compared to a pass's within rounding). */
function withoutFloats(overview: FleetOverview): unknown {
  return {
    ...overview,
    fleets: overview.fleets.map(({ totalKgCO2e: _t, assumedTotalKgCO2e: _a, energyJ: _e, observedS: _o, averagePowerW, ...rest }) => ({
      ...rest,
      averagePowerW: averagePowerW === null ? null : Number(averagePowerW.toPrecision(9)),
    })),
  };
}
