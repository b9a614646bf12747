/**
 * Two instances on one shared store (docs/fleet-truth.md): each has its own bus, ingest and fleet index; what one
 * instance stores or registers raises no event at the other, whose periodic sync brings it in. After a sync both
 * indexes equal fleetSummary computed from scratch over the shared store: one truth, each device's embodied footprint
 * once, however the windows were split between the instances.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import type { EnergyWindow } from '../../src/domain/types.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { PresenceRegistry } from '../../src/live/device-presence.js';
import { LiveBus } from '../../src/live/live-bus.js';
import { FLEET_SYNC_MAX_SHARE, FleetIndex, nextSyncDelayMs, type FleetIndexDeps, type FleetSyncChanges } from '../../src/service/fleet-index.js';
import { fleetPage } from '../../src/service/fleet-page.js';
import { fleetSummary, type FleetDeviceRow } from '../../src/service/fleet-summary.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { constantPowerWindow } from '../helpers/fleet-rig.js';
import { waitFor } from '../helpers/wait-for.js';

const catalogue = buildCatalogue();
const THRESHOLD_MS = 60_000;
const T0 = 1_764_000_000_000;

const window = (deviceId: string, seq: number, powerW: number): EnergyWindow => constantPowerWindow(deviceId, seq, powerW, T0 - 100_000 + seq * 10_000);

const stores: SqliteStore[] = [];
const indexes: FleetIndex[] = [];
afterEach(async () => {
  for (const index of indexes.splice(0)) index.stop();
  for (const store of stores.splice(0)) await store.close();
});

function sharedStore(): SqliteStore {
  const store = SqliteStore.open(':memory:');
  stores.push(store);
  return store;
}

/** One instance on the shared store: its own bus, presence, ingest and index. */
/** `syncIntervalMs` null: a single-machine index (change-driven only). The default interval is long: tests call sync(). */
function instance(store: SqliteStore, syncIntervalMs: number | null = 60_000, extra: Pick<FleetIndexDeps, 'syncChanges'> = {}) {
  const clock = () => T0;
  const bus = new LiveBus();
  const presence = new PresenceRegistry(clock);
  const ingest = new IngestService(store, bus, SEED_DEFAULT_SPEC, clock);
  const index = new FleetIndex({
    store,
    catalogue,
    bus,
    presence,
    clock,
    onlineThresholdMs: THRESHOLD_MS,
    ...(syncIntervalMs === null ? {} : { syncIntervalMs }),
    ...extra,
  });
  indexes.push(index);
  return { ingest, index, presence };
}

async function rowsOf(index: FleetIndex): Promise<FleetDeviceRow[]> {
  return (await fleetPage(index, { status: 'all', sort: 'id', direction: 1, offset: 0, limit: 1_000_000 }, T0, catalogue.assumptions.assumedPowerW)).rows;
}

async function truth(store: SqliteStore) {
  return fleetSummary(catalogue, await store.listDevicesWithAggregates({ limit: 1_000_000, offset: 0 }), T0, THRESHOLD_MS, () => undefined);
}

describe('FleetIndex on a shared store', () => {
  it('a device registered and windows stored through instance A reach instance B at its next sync; both equal the truth', async () => {
    const store = sharedStore();
    const a = instance(store);
    const b = instance(store);
    await Promise.all([a.index.start(), b.index.start()]);

    await a.ingest.announce({ deviceId: 'dev-a' });
    await a.ingest.submitWindows([window('dev-a', 0, 0.01), window('dev-a', 1, 0.02)]);
    await a.index.current();
    expect(b.index.get('dev-a')).toBeUndefined(); // no event reached B: only a sync brings it
    const syncedBefore = b.index.syncedAtMs;
    await b.index.sync();
    expect(b.index.syncedAtMs).toBeGreaterThanOrEqual(syncedBefore!);
    expect(await rowsOf(b.index)).toEqual((await truth(store)).rows);

    // An edit through B reaches A (A's bus never heard of it).
    await store.updateDevice('dev-a', { name: 'renamed', spec: { lifetimeYears: 9 } });
    await a.index.sync();
    expect(a.index.get('dev-a')!.name).toBe('renamed');
    expect(await rowsOf(a.index)).toEqual((await truth(store)).rows);
  });

  it('windows of each device split between two instances: both answer the same totals, embodied counted once per device', async () => {
    const store = sharedStore();
    const a = instance(store);
    const b = instance(store);
    await Promise.all([a.index.start(), b.index.start()]);
    const devices = ['d0', 'd1', 'd2', 'd3'];
    for (const id of devices) await a.ingest.announce({ deviceId: id });
    for (let seq = 0; seq < 10; seq += 1) {
      // Alternate instances, as a shared subscription splits a device's windows.
      const target = seq % 2 === 0 ? a : b;
      await target.ingest.submitWindows(devices.map((id, n) => window(id, seq, 0.001 * (n + 1))));
    }
    await Promise.all([a.index.sync(), b.index.sync()]);
    const expected = await truth(store);
    for (const index of [a.index, b.index]) {
      const totals = index.totals();
      expect(totals.devices).toBe(devices.length);
      expect(totals.energyJ).toBeCloseTo(expected.energyJ, 9);
      expect(totals.totalKgCO2e).toBeCloseTo(expected.totalKgCO2e, 9);
      expect(await rowsOf(index)).toEqual(expected.rows);
    }
    // Each row holds all 10 windows of its device, not the half its instance ingested.
    expect((await rowsOf(b.index)).map((row) => row.windows)).toEqual([10, 10, 10, 10]);
    // One embodied footprint per device: the fleet's assumed total is the sum over 4 rows, not 8.
    const perDevice = expected.rows.reduce((sum, row) => sum + row.assumedTotalKgCO2e, 0);
    expect(a.index.totals().assumedTotalKgCO2e).toBeCloseTo(perDevice, 12);
  });

  it('a window committed here, on a store that answers the totals of its last sync, leaves the row and the version as they are', async () => {
    const store = sharedStore();
    await store.createDevice({ id: 'dev-a', spec: SEED_DEFAULT_SPEC });
    await store.appendWindows([window('dev-a', 0, 0.01)]);
    const synced = await store.getAggregate('dev-a');
    // As SharedStore answers between two syncs: the totals its last read returned, whatever was committed since.
    const lagging: SqliteStore = Object.assign(Object.create(store) as SqliteStore, { getAggregate: async () => synced });
    const clock = () => T0;
    const bus = new LiveBus();
    const presence = new PresenceRegistry(clock);
    const ingest = new IngestService(store, bus, SEED_DEFAULT_SPEC, clock);
    const index = new FleetIndex({ store: lagging, catalogue, bus, presence, clock, onlineThresholdMs: THRESHOLD_MS, syncIntervalMs: 60_000 });
    indexes.push(index);
    await index.start();
    const row = { ...index.get('dev-a')! };
    const version = index.version;
    await ingest.submitWindows([window('dev-a', 1, 0.02)]); // heard on the bus: a change-driven refresh re-reads the device
    await index.current();
    expect(index.version).toBe(version);
    expect({ ...index.get('dev-a')! }).toEqual(row);
    expect(index.get('dev-a')!.windows).toBe(1);
  });

  it('with an incremental pass (syncChanges), a sync re-reads by id only the devices the pass names, never every device', async () => {
    const store = sharedStore();
    for (const id of ['p0', 'p1', 'p2']) await store.createDevice({ id, spec: SEED_DEFAULT_SPEC });
    const none: FleetSyncChanges = { devices: [], aggregates: [] };
    let next = none;
    const { index } = instance(store, 60_000, {
      syncChanges: async () => {
        const changes = next;
        next = none;
        return changes;
      },
    });
    await index.start();
    let pageReads = 0;
    const real = store.listDevicesWithAggregates.bind(store);
    store.listDevicesWithAggregates = async (query) => {
      pageReads += 1;
      return real(query);
    };
    // Through another instance (no event here): windows of p0 and p1, a new device p3, an edit of p2.
    await store.appendWindows([window('p0', 0, 0.01), window('p1', 0, 0.02)]);
    await store.createDevice({ id: 'p3', spec: SEED_DEFAULT_SPEC });
    await store.updateDevice('p2', { name: 'renamed' });
    next = { devices: ['p3'], aggregates: ['p0'] };
    await index.sync();
    expect(index.get('p3')).toBeDefined();
    expect(index.get('p0')!.windows).toBe(1);
    // Not named by the pass: not read (a walk of the fleet would have found both).
    expect(index.get('p1')!.windows).toBe(0);
    expect(index.get('p2')!.name).not.toBe('renamed');
    next = { devices: ['p2'], aggregates: ['p1'] };
    await index.sync();
    expect(pageReads).toBe(0);
    expect(await rowsOf(index)).toEqual((await truth(store)).rows);
  });

  it('a sync that finds nothing changed leaves the version (the pages and their ETags) as it was', async () => {
    const store = sharedStore();
    await store.createDevice({ id: 'x', spec: SEED_DEFAULT_SPEC });
    const a = instance(store);
    await a.index.start();
    await a.index.sync();
    const version = a.index.version;
    await a.index.sync();
    expect(a.index.version).toBe(version);
    await store.appendWindows([window('x', 0, 0.5)]);
    await a.index.sync();
    expect(a.index.version).toBeGreaterThan(version);
  });

  it('a load that failed (the shared store unreachable at startup) is tried again by the next read, not kept failing', async () => {
    const store = sharedStore();
    await store.createDevice({ id: 'd1', spec: SEED_DEFAULT_SPEC });
    const real = store.listDevicesWithAggregates.bind(store);
    let failures = 1;
    store.listDevicesWithAggregates = async (query) => {
      if (failures-- > 0) throw new Error('influxd unreachable');
      return real(query);
    };
    const { index } = instance(store);
    await expect(index.start()).rejects.toThrow('influxd unreachable');
    await index.current();
    expect(index.complete).toBe(true);
    expect(index.registeredDevices()).toBe(1);
    expect((await rowsOf(index)).map((row) => row.id)).toEqual(['d1']);
  });

  it('a periodic sync after a long pass waits until the pass is FLEET_SYNC_MAX_SHARE of the time between starts', async () => {
    expect(nextSyncDelayMs(2_000, 100)).toBe(1_900); // a short pass: every 2 s as before
    expect(nextSyncDelayMs(2_000, 1_000)).toBe(1_000 / FLEET_SYNC_MAX_SHARE - 1_000);
    expect(nextSyncDelayMs(2_000, -5)).toBe(2_000); // a clock that went back: the interval

    const store = sharedStore();
    await store.createDevice({ id: 's0', spec: SEED_DEFAULT_SPEC });
    let nowMs = T0;
    let passMs = 1_000;
    const passesAtMs: number[] = [];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const index = new FleetIndex({
        store,
        catalogue,
        bus: new LiveBus(),
        presence: new PresenceRegistry(() => nowMs),
        clock: () => nowMs,
        onlineThresholdMs: THRESHOLD_MS,
        syncIntervalMs: 2_000,
        // The pass "takes" passMs on the index's clock, which is where the schedule reads its duration.
        syncChanges: async () => {
          passesAtMs.push(nowMs);
          nowMs += passMs;
          return { devices: [], aggregates: [] };
        },
      });
      indexes.push(index);
      await index.start();
      /** Real event-loop turns (setImmediate is not faked) until `done`: the pass's promise chain runs in them. */
      const until = async (what: string, done: () => boolean): Promise<void> => {
        for (let turn = 0; turn < 10_000 && !done(); turn += 1) await new Promise((resolve) => setImmediate(resolve));
        if (!done()) throw new Error(`never: ${what}`);
      };
      const nextScheduled = () => vi.getTimerCount() === 1;
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(2_000);
      await until('the first pass and the next one scheduled', () => passesAtMs.length === 1 && nextScheduled());
      passMs = 0;
      vi.advanceTimersByTime(2_999); // the pass took 1 000 ms: the next starts 4 000 ms after it began, 3 000 after its end
      expect(vi.getTimerCount()).toBe(1); // fake timers fire inside advanceTimersByTime: the next pass's has not
      expect(passesAtMs).toHaveLength(1);
      vi.advanceTimersByTime(1);
      await until('the second pass and the next one scheduled', () => passesAtMs.length === 2 && nextScheduled());
      vi.advanceTimersByTime(1_999); // a pass of 0 ms: the interval again
      expect(vi.getTimerCount()).toBe(1);
      expect(passesAtMs).toHaveLength(2);
      vi.advanceTimersByTime(1);
      await until('the third pass', () => passesAtMs.length === 3);
      expect(passesAtMs).toEqual([T0, T0 + 1_000, T0 + 1_000]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('syncs by itself every syncIntervalMs; without a shared store there is no sync and syncedAtMs is null', async () => {
    const store = sharedStore();
    const a = instance(store, 20);
    const local = instance(store, null);
    await Promise.all([a.index.start(), local.index.start()]);
    expect(a.index.syncIntervalMs).toBe(20);
    expect(local.index.syncIntervalMs).toBeNull();
    expect(local.index.syncedAtMs).toBeNull();
    await store.createDevice({ id: 'late', spec: SEED_DEFAULT_SPEC });
    await waitFor('the periodic sync to bring in the device', () => a.index.get('late') !== undefined, { timeoutMs: 5_000 });
    expect(local.index.get('late')).toBeUndefined();
  });
});
