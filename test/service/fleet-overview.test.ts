/** GET /api/fleet/overview's figures: each device's state, the power bins, the groups by fleet, the online history. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import type { EnergyWindow } from '../../src/domain/types.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { PresenceRegistry } from '../../src/live/device-presence.js';
import { LiveBus } from '../../src/live/live-bus.js';
import { FleetIndex } from '../../src/service/fleet-index.js';
import { fleetOverview, OVERVIEW_CLOCK_EVERY, powerBin, POWER_BIN_EDGES_W } from '../../src/service/fleet-overview.js';
import { StepBudget } from '../../src/service/fleet-step.js';
import { OnlineHistory } from '../../src/service/online-history.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const catalogue = buildCatalogue();
const THRESHOLD_MS = 60_000;
const T0 = 1_764_000_000_000;

function window(deviceId: string, seq: number, powerW: number, startMs: number): EnergyWindow {
  return {
    deviceId,
    seq,
    startMs,
    durationS: 10,
    energyJ: powerW * 10,
    sampleCount: 100,
    minPowerW: powerW,
    maxPowerW: powerW,
    inferenceCount: 0,
    source: 'test',
  };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('fleetOverview', () => {
  it('counts online, stale and offline devices, bins measured power, groups by fleet', async () => {
    let nowMs = T0;
    const clock = () => nowMs;
    const store = SqliteStore.open(':memory:');
    const bus = new LiveBus();
    const presence = new PresenceRegistry(clock);
    presence.onChange((deviceId) => bus.publish({ type: 'device', deviceId }));
    const ingest = new IngestService(store, bus, SEED_DEFAULT_SPEC, clock);
    const index = new FleetIndex({ store, catalogue, bus, presence, clock, onlineThresholdMs: THRESHOLD_MS });
    cleanup = async () => {
      index.stop();
      await store.close();
    };
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

    const overview = await fleetOverview(index, nowMs);
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

    expect((await fleetOverview(index, nowMs, 'south')).states).toEqual({ online: 0, stale: 1, offline: 1 });
    // Time passes: the fresh device ages past the threshold.
    nowMs = T0 + THRESHOLD_MS;
    expect((await fleetOverview(index, nowMs)).states).toEqual({ online: 0, stale: 1, offline: 4 });
  });

  it('passes over a large fleet in steps, yielding to the event loop between them, with the counts of one uninterrupted pass', async () => {
    const nowMs = T0;
    const clock = () => nowMs;
    const store = SqliteStore.open(':memory:');
    const bus = new LiveBus();
    const presence = new PresenceRegistry(clock);
    const ingest = new IngestService(store, bus, SEED_DEFAULT_SPEC, clock);
    const index = new FleetIndex({ store, catalogue, bus, presence, clock, onlineThresholdMs: THRESHOLD_MS });
    cleanup = async () => {
      index.stop();
      await store.close();
    };
    const devices = 3 * OVERVIEW_CLOCK_EVERY + 7;
    await store.createDevices(Array.from({ length: devices }, (_, i) => ({ id: `d${i}`, fleet: `f${i % 3}`, spec: SEED_DEFAULT_SPEC })));
    await ingest.submitWindows(
      Array.from({ length: Math.floor(devices / 2) }, (_, i) => window(`d${2 * i}`, 0, 0.0001 * (1 + (i % 50)), T0 - 20_000 - i * 100)),
    );
    await index.start();
    await index.current();

    const whole = await fleetOverview(index, nowMs, undefined, new StepBudget(Infinity));
    let otherWorkRan = false;
    setImmediate(() => (otherWorkRan = true));
    // A budget of 0 ms is spent at once: the pass yields at every look at the clock.
    const stepped = await fleetOverview(index, nowMs, undefined, new StepBudget(0));
    expect(otherWorkRan).toBe(true);
    expect(stepped).toEqual(whole);
    expect(whole.states.online + whole.states.stale + whole.states.offline).toBe(devices);
    expect(whole.power.measured).toBe(Math.floor(devices / 2));
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
