/**
 * The SharedStore's re-read of a changed device from the period it kept on (docs/influxdb-schema.md § Aggregates),
 * against a real influxd: a device written in batches across several periods, with a fleet pass between batches, is
 * read from its kept period (a tail read), and after every pass serves exactly (Object.is per field) what a fresh
 * SharedStore reads from the start; a late window before the kept period forces a full read and is counted once; a
 * window in the future is counted; two SharedStores on one influxd agree exactly; a marker without a period (an older
 * writer) means a full read.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceAggregate } from '../../src/domain/types.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { AGGREGATE_PERIOD_MS } from '../../src/store/influx/aggregate-fold.js';
import { InfluxRegistry } from '../../src/store/influx/influx-registry.js';
import { CHANGE_RETENTION_POLICY, InfluxWindowStore } from '../../src/store/influx/influx-window-store.js';
import { FULL_REREAD_MS, SharedStore } from '../../src/store/shared-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoredWindow } from '../../src/store/window-store.js';
import { useInfluxd } from '../helpers/use-influxd.js';

const influxd = useInfluxd();
const T0 = Date.UTC(2026, 10, 1);
/** Energies whose float sum depends on the order of the additions (1e16 against 1; 0.1 + 0.2 + 0.3). */
const ENERGIES = [1e16, 1, 1, -1e16, 0.1, 0.2, 0.3, 3.3e-7, 12345.678, 1e-3, 7.77];
const DEVICES = ['per-a', 'per-b'];

/** Window `seq` of a device, in period `period` (from T0), `offsetMs` into it. */
function stored(deviceId: string, seq: number, period: number, offsetMs = seq * 1_000, instrument?: 'ppk2' | 'js220'): StoredWindow {
  const energyJ = ENERGIES[seq % ENERGIES.length]! * (deviceId === 'per-a' ? 1 : 1.5);
  return {
    deviceId,
    seq,
    seqUse: 0,
    startMs: T0 + period * AGGREGATE_PERIOD_MS + offsetMs + 0.5,
    durationS: 1 + (seq % 4) * 0.1,
    energyJ,
    sampleCount: 100 + seq,
    minPowerW: 0.001 * (seq + 1),
    maxPowerW: 0.01 * (seq + 1),
    inferenceCount: seq % 3,
    source: 'http',
    // Two series per device (tag stamp): influxd merges them in every period's partial, and must do so alike each time.
    startStampedBy: seq % 3 === 0 ? 'device' : 'receiver',
    ...(instrument === undefined ? {} : { instrument }),
  };
}

function sameBits(a: DeviceAggregate | undefined, b: DeviceAggregate | undefined, what: string): void {
  expect(a, what).toBeDefined();
  expect(b, what).toBeDefined();
  for (const key of Object.keys(b!) as (keyof DeviceAggregate)[]) {
    if (key === 'instruments') expect(a!.instruments, `${what} ${key}`).toEqual(b!.instruments);
    else expect(Object.is(a![key], b![key]), `${what} ${key}: ${String(a![key])} against ${String(b![key])}`).toBe(true);
  }
  expect(Object.keys(a!).sort()).toEqual(Object.keys(b!).sort());
}

/**
 * A store whose clock stands still: no pass is due any share of the full re-read sweep (it would read a device in full
 * at the first ms elapsed), and each marker read looks back CHANGE_VISIBILITY_MS, more than a batch and its pass take.
 */
function sharedStore(database: string, instance: string, clock: () => number = () => 0): SharedStore {
  return new SharedStore(
    SqliteStore.open(':memory:'),
    new InfluxWindowStore({ url: influxd.url, database }),
    new InfluxRegistry({ url: influxd.url, database }),
    instance,
    clock,
  );
}

/** What a fresh instance serves: a new SharedStore's first read of each device (from the start). */
async function fresh(database: string): Promise<Map<string, DeviceAggregate | undefined>> {
  const store = sharedStore(database, 'fresh');
  try {
    const out = new Map<string, DeviceAggregate | undefined>();
    for (const id of DEVICES) out.set(id, await store.getAggregate(id));
    return out;
  } finally {
    await store.close();
  }
}

describe('SharedStore re-reads a changed device from its kept period, with the bits of a full read', () => {
  it('serves after each pass exactly what a fresh instance reads, reading tails where the change allows', async () => {
    const database = `periods_${process.pid}`;
    const writer = new InfluxWindowStore({ url: influxd.url, database, writerId: 'w' });
    const a = sharedStore(database, 'a');
    const b = sharedStore(database, 'b');
    try {
      for (const id of DEVICES) await a.createDevice({ id, spec: SEED_DEFAULT_SPEC });
      for (const id of DEVICES) await b.createDevice({ id, spec: SEED_DEFAULT_SPEC });
      let seq = 0;
      const batch = async (period: number, count: number, instrument?: 'ppk2' | 'js220'): Promise<void> => {
        const windows: StoredWindow[] = [];
        for (let n = 0; n < count; n += 1, seq += 1) for (const id of DEVICES) windows.push(stored(id, seq, period, seq * 1_000, instrument));
        await writer.writeWindows(windows);
      };
      /** Both stores' fleet passes, then every device served by each equals a fresh read, bit for bit. */
      const passAndCompare = async (what: string): Promise<{ fullReads: number; tailReads: number }> => {
        for (const store of [a, b]) {
          const changes = await store.syncFleet();
          for (const id of changes.aggregates) await store.getAggregate(id);
        }
        const truth = await fresh(database);
        // The fresh instance reads what the window store's own fold from the start answers.
        const folded = await writer.aggregates(DEVICES);
        for (const id of DEVICES) sameBits(truth.get(id), folded.get(id), `${what}: fresh ${id}`);
        for (const id of DEVICES) {
          sameBits(await a.getAggregate(id), truth.get(id), `${what}: a ${id}`);
          sameBits(await b.getAggregate(id), truth.get(id), `${what}: b ${id}`);
        }
        b.takeSyncStats();
        return a.takeSyncStats();
      };

      await batch(0, 4);
      await batch(1, 4, 'ppk2');
      // First reads (getAggregate of a device not synced yet) are full reads.
      const first = await fresh(database);
      for (const id of DEVICES) sameBits(await a.getAggregate(id), first.get(id), `first ${id}`);
      for (const id of DEVICES) await b.getAggregate(id);
      expect(a.takeSyncStats()).toMatchObject({ fullReads: 2, tailReads: 0 });
      b.takeSyncStats();

      // Periods 0–1 kept, a third period: read from period 2 alone, folded after the kept parts of periods 0–1.
      await batch(2, 3);
      expect(await passAndCompare('period 2')).toMatchObject({ fullReads: 0, tailReads: 2 });
      // Now the fold of period 0 is kept and the next reads start at period 1.
      await batch(2, 2);
      expect(await passAndCompare('period 2 again')).toMatchObject({ fullReads: 0, tailReads: 2 });
      await batch(3, 3, 'js220');
      expect(await passAndCompare('period 3')).toMatchObject({ fullReads: 0, tailReads: 2 });
      await batch(4, 3);
      expect(await passAndCompare('period 4')).toMatchObject({ fullReads: 0, tailReads: 2 });
      // A window one period late (period 3, the kept one) is still a tail read.
      await batch(3, 1);
      expect(await passAndCompare('one period late')).toMatchObject({ fullReads: 0, tailReads: 2 });

      // A late window before the kept period (period 1): a full read, and it is counted once.
      const windowsBefore = (await a.getAggregate('per-a'))!.windows;
      await batch(1, 1);
      expect(await passAndCompare('late before the kept period')).toMatchObject({ fullReads: 2, tailReads: 0 });
      expect((await a.getAggregate('per-a'))!.windows).toBe(windowsBefore + 1);

      // A window in the future (a device clock ahead by 20 h of the present): counted.
      const futurePeriod = Math.floor((Date.now() + 20 * 3_600_000 - T0) / AGGREGATE_PERIOD_MS);
      await batch(futurePeriod, 1);
      expect(await passAndCompare('future window')).toMatchObject({ fullReads: 0, tailReads: 2 });
      const served = (await a.getAggregate('per-a'))!;
      expect(served.windows).toBe(windowsBefore + 2);
      expect(served.lastSeenMs).toBeGreaterThan(Date.now() + 19 * 3_600_000);

      // A window of the present period after the future one: the kept period is now the present's.
      const presentPeriod = Math.floor((Date.now() - T0) / AGGREGATE_PERIOD_MS);
      await batch(presentPeriod, 1);
      expect(await passAndCompare('present after future')).toMatchObject({ fullReads: 0, tailReads: 2 });
      await batch(futurePeriod, 1);
      expect(await passAndCompare('future again')).toMatchObject({ fullReads: 0, tailReads: 2 });

      // A marker of the old form (no period tag), as an older writer wrote it: a full read.
      await writer.writeWindows([stored('per-a', (seq += 1), futurePeriod)]);
      const body = `window_change,device=per-a,writer=old windows=1i`;
      const response = await fetch(`${influxd.url}/write?db=${database}&rp=${CHANGE_RETENTION_POLICY}`, { method: 'POST', body });
      expect(response.status).toBe(204);
      const stats = await passAndCompare('old marker');
      expect(stats.fullReads).toBe(1);
      expect((await a.getAggregate('per-a'))!.instruments).toEqual(['ppk2', 'js220']);
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);

  it('finds points InfluxDB dropped without a marker (retention, DELETE) at the full re-read sweep, not in a tail', async () => {
    const database = `periods_sweep_${process.pid}`;
    const writer = new InfluxWindowStore({ url: influxd.url, database, writerId: 'w' });
    let nowMs = 0;
    const store = sharedStore(database, 'a', () => nowMs);
    try {
      await store.createDevice({ id: 'per-a', spec: SEED_DEFAULT_SPEC });
      await writer.writeWindows([0, 1, 2, 3].flatMap((period) => [stored('per-a', period * 2, period), stored('per-a', period * 2 + 1, period)]));
      expect((await store.getAggregate('per-a'))!.windows).toBe(8);
      await store.syncFleet(); // takes the markers: a full read, which keeps the fold of periods 0–1
      await writer.writeWindows([stored('per-a', 8, 3)]);
      await store.syncFleet();
      expect(store.takeSyncStats()).toMatchObject({ tailReads: 1 });
      expect((await store.getAggregate('per-a'))!.windows).toBe(9);
      // Period 0's points dropped, as retention drops a shard: no marker. A tail read keeps the kept fold of period 0.
      const response = await fetch(`${influxd.url}/query?db=${database}`, {
        method: 'POST',
        body: new URLSearchParams({ q: `DELETE FROM "energy_window" WHERE time < ${(T0 + AGGREGATE_PERIOD_MS) * 1_000_000}` }),
      });
      expect(response.status).toBe(200);
      await writer.writeWindows([stored('per-a', 9, 3)]);
      await store.syncFleet();
      expect(store.takeSyncStats()).toMatchObject({ tailReads: 1, fullReads: 0 });
      expect((await store.getAggregate('per-a'))!.windows).toBe(10);
      // The sweep reads it in full and serves what InfluxDB holds, as a fresh read does.
      nowMs += FULL_REREAD_MS;
      const changes = await store.syncFleet();
      expect(changes.aggregates).toEqual(['per-a']);
      expect(store.takeSyncStats()).toMatchObject({ fullReads: 1, tailReads: 0 });
      const swept = await store.getAggregate('per-a');
      expect(swept!.windows).toBe(8);
      sameBits(swept, (await writer.aggregates(['per-a'])).get('per-a'), 'swept');
    } finally {
      await store.close();
    }
  }, 60_000);
});
