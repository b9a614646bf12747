/**
 * The SharedStore's incremental sync against a real influxd (docs/influxdb-schema.md § Change markers): after each
 * pass (the fleet index's first page reads the change markers), every device's totals equal, exactly, a full read of
 * InfluxDB made at that moment, while only the devices written since the last pass are read again. Windows of two
 * writers, late windows, windows re-sent by another writer (one point in InfluxDB) and a write acknowledged while a
 * pass runs are covered.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceAggregate } from '../../src/domain/types.js';
import { InfluxRegistry } from '../../src/store/influx/influx-registry.js';
import { InfluxWindowStore } from '../../src/store/influx/influx-window-store.js';
import { FULL_REREAD_MS, SharedStore } from '../../src/store/shared-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoredWindow } from '../../src/store/window-store.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { useInfluxd } from '../helpers/use-influxd.js';

const DEVICES = 6;
const WINDOW_MS = 10_000;
const T0 = Date.UTC(2026, 10, 1);

const influxd = useInfluxd();

const ids = Array.from({ length: DEVICES }, (_, n) => `inc-${n}`);

function stored(deviceId: string, seq: number, energyJ = 0.001 * (seq + 1)): StoredWindow {
  return {
    deviceId,
    seq,
    seqUse: 0,
    startMs: T0 + seq * WINDOW_MS + 0.25,
    durationS: WINDOW_MS / 1000,
    energyJ,
    sampleCount: 100 + seq,
    minPowerW: energyJ / 20,
    maxPowerW: energyJ / 5 + seq * 1e-6,
    inferenceCount: seq % 3,
    source: 'http',
  };
}

/** Every device's totals as one pass of the fleet index reads them (pages of 4, keyed by id). */
async function pass(store: SharedStore): Promise<Map<string, DeviceAggregate | undefined>> {
  const out = new Map<string, DeviceAggregate | undefined>();
  let afterId: string | undefined;
  for (;;) {
    const page = await store.listDevicesWithAggregates({ limit: 4, offset: 0, ...(afterId === undefined ? {} : { afterId }) });
    for (const { device, aggregate } of page) out.set(device.id, aggregate);
    if (page.length < 4) return out;
    afterId = page.at(-1)!.device.id;
  }
}

/** Exactly what a full read of InfluxDB answers now, device by device (a device without windows: none). */
function expectSame(served: Map<string, DeviceAggregate | undefined>, truth: Map<string, DeviceAggregate>): void {
  for (const id of ids) expect(served.get(id), id).toEqual(truth.get(id));
}

describe('SharedStore incremental sync on a real InfluxDB', () => {
  it('serves after every pass what a full read serves, reading again only what changed', async () => {
    const database = `incremental_${process.pid}`;
    const truth = new InfluxWindowStore({ url: influxd.url, database });
    const writerA = new InfluxWindowStore({ url: influxd.url, database, writerId: 'writer-a' });
    const writerB = new InfluxWindowStore({ url: influxd.url, database, writerId: 'writer-b' });
    const local = SqliteStore.open(':memory:');
    const store = new SharedStore(local, new InfluxWindowStore({ url: influxd.url, database }), new InfluxRegistry({ url: influxd.url, database }), 'i');
    try {
      for (const id of ids) await store.createDevice({ id, spec: SEED_DEFAULT_SPEC });
      // Devices 0..3 have windows 0..9 before the first pass; 4 and 5 none.
      await writerA.writeWindows(ids.slice(0, 4).flatMap((id) => Array.from({ length: 10 }, (_, seq) => stored(id, seq))));
      const all = async (): Promise<Map<string, DeviceAggregate>> => truth.aggregates(ids);

      expectSame(await pass(store), await all());
      expect(store.takeSyncStats()).toMatchObject({ fullReads: DEVICES, kept: 0 });

      // New windows after the boundary, on device 0 by A and device 1 by B, device 4's first ones: a change marker each.
      await writerA.writeWindows([10, 11, 12].map((seq) => stored(ids[0]!, seq)));
      await writerB.writeWindows([10, 11].map((seq) => stored(ids[1]!, seq)));
      await writerA.writeWindows([0, 1].map((seq) => stored(ids[4]!, seq)));
      expectSame(await pass(store), await all());
      expect(store.takeSyncStats()).toMatchObject({ fullReads: 0, tailReads: 3, kept: DEVICES - 3 });

      // Nothing written: nothing read, the same numbers.
      expectSame(await pass(store), await all());
      expect(store.takeSyncStats()).toMatchObject({ fullReads: 0, kept: DEVICES });

      // Device 0 again, and device 1 by both writers between two passes: one read each.
      await writerA.writeWindows([13, 14].map((seq) => stored(ids[0]!, seq)));
      await writerA.writeWindows([12].map((seq) => stored(ids[1]!, seq)));
      await writerB.writeWindows([13].map((seq) => stored(ids[1]!, seq)));
      expectSame(await pass(store), await all());
      expect(store.takeSyncStats()).toMatchObject({ fullReads: 0, tailReads: 2, kept: DEVICES - 2 });

      // A late window (a gap filled before its newest one) on device 2, and windows 0..3 of device 3 written again by B,
      // as a redelivery through another instance: InfluxDB keeps one point each, so the totals must not move.
      const before3 = (await all()).get(ids[3]!);
      await writerA.writeWindows([stored(ids[2]!, 20), stored(ids[2]!, 5.5 as number)].map((w, n) => ({ ...w, seq: 100 + n })));
      await writerB.writeWindows([0, 1, 2, 3].map((seq) => stored(ids[3]!, seq)));
      const served = await pass(store);
      expectSame(served, await all());
      expect(served.get(ids[3]!)!.windows).toBe(before3!.windows);
      expect(store.takeSyncStats()).toMatchObject({ fullReads: 0, tailReads: 2, kept: DEVICES - 2 });

      // A window acknowledged while a pass runs: that pass may or may not see it, the next one does.
      const early = pass(store);
      await writerB.writeWindows([15].map((seq) => stored(ids[0]!, seq)));
      await early;
      expectSame(await pass(store), await all());
    } finally {
      await store.close();
    }
  }, 60_000);

  it('a fleet pass (syncFleet) reads only the changed devices and a share of the rest, and answers what differs', async () => {
    const database = `pass_${process.pid}`;
    const truth = new InfluxWindowStore({ url: influxd.url, database });
    const writerA = new InfluxWindowStore({ url: influxd.url, database, writerId: 'writer-a' });
    const writerB = new InfluxWindowStore({ url: influxd.url, database, writerId: 'writer-b' });
    let nowMs = 0;
    const local = SqliteStore.open(':memory:');
    const store = new SharedStore(
      local,
      new InfluxWindowStore({ url: influxd.url, database }),
      new InfluxRegistry({ url: influxd.url, database }),
      'i',
      () => nowMs,
    );
    const otherLocal = SqliteStore.open(':memory:');
    const other = new SharedStore(otherLocal, new InfluxWindowStore({ url: influxd.url, database }), new InfluxRegistry({ url: influxd.url, database }), 'j');
    const served = async (): Promise<Map<string, DeviceAggregate | undefined>> =>
      new Map(await Promise.all(ids.map(async (id) => [id, await store.getAggregate(id)] as const)));
    try {
      for (const id of ids) await store.createDevice({ id, spec: SEED_DEFAULT_SPEC });
      await writerA.writeWindows(ids.slice(0, 4).flatMap((id) => Array.from({ length: 10 }, (_, seq) => stored(id, seq))));
      const all = async (): Promise<Map<string, DeviceAggregate>> => truth.aggregates(ids);
      expectSame(await pass(store), await all()); // the fleet index's load
      store.takeSyncStats();

      // Nothing written, no time passed: nothing read, nothing answered.
      expect(await store.syncFleet()).toEqual({ devices: [], aggregates: [] });
      expect(store.takeSyncStats()).toMatchObject({ fullReads: 0, kept: DEVICES });

      await writerA.writeWindows([10, 11].map((seq) => stored(ids[0]!, seq)));
      await writerB.writeWindows([10].map((seq) => stored(ids[1]!, seq)));
      await writerA.writeWindows([0].map((seq) => stored(ids[4]!, seq)));
      const changed = await store.syncFleet();
      expect([...changed.aggregates].sort()).toEqual([ids[0], ids[1], ids[4]]);
      expect(store.takeSyncStats()).toMatchObject({ fullReads: 0, tailReads: 3, kept: DEVICES - 3 });
      expectSame(await served(), await all());

      // A redelivery through another writer: read again (its marker), the same totals, so not answered.
      await writerB.writeWindows([0, 1].map((seq) => stored(ids[3]!, seq)));
      expect(await store.syncFleet()).toEqual({ devices: [], aggregates: [] });
      expect(store.takeSyncStats()).toMatchObject({ fullReads: 0, tailReads: 1 });

      // Passes share one run: never two at once.
      const first = store.syncFleet();
      expect(store.syncFleet()).toBe(first);
      await first;

      // Points removed behind the store's back leave no marker: the full re-read brings every device back to
      // InfluxDB's numbers within FULL_REREAD_MS, a share of the fleet per pass, the oldest reads first.
      const drop = await fetch(`${influxd.url}/query`, {
        method: 'POST',
        body: new URLSearchParams({ db: database, q: `DELETE FROM "energy_window" WHERE "device" = '${ids[2]}'` }),
      });
      expect(drop.status).toBe(200);
      const answered = new Set<string>();
      let reads = 0;
      for (let step = 0; step < 3; step += 1) {
        nowMs += FULL_REREAD_MS / 3;
        for (const id of (await store.syncFleet()).aggregates) answered.add(id);
        const stats = store.takeSyncStats();
        expect(stats.fullReads).toBe(DEVICES / 3);
        reads += stats.fullReads;
      }
      expect(reads).toBe(DEVICES);
      expect([...answered]).toEqual([ids[2]]);
      expect(await store.getAggregate(ids[2]!)).toBeUndefined();
      expectSame(await served(), await all());

      // A device registered through another instance: adopted by syncRegistry, answered by the next pass.
      await other.createDevice({ id: 'adopted-1', spec: SEED_DEFAULT_SPEC });
      await store.syncRegistry();
      expect(await store.syncFleet()).toMatchObject({ devices: ['adopted-1'] });
      expect(await store.syncFleet()).toMatchObject({ devices: [] });
    } finally {
      await store.close();
      await other.close();
    }
  }, 60_000);
});
