/**
 * A store that reads eventually (InfluxDB 2.x/3.x behind the v1 API: `maxReadLagMs`) may serve a change marker before
 * its points: a read that began within the lag of seeing the marker may have taken a part without them, and the next
 * read of the device must read that part again, however little the next change reaches back.
 */
import { expect, it } from 'vitest';
import type { DeviceAggregate } from '../../src/domain/types.js';
import type { InfluxRegistry } from '../../src/store/influx/influx-registry.js';
import { AGGREGATE_PERIOD_MS, foldParts, type PeriodPart } from '../../src/store/influx/aggregate-fold.js';
import { SharedStore } from '../../src/store/shared-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { WindowStore } from '../../src/store/window-store.js';
import { MemoryRegistry } from './memory-registry.js';
import { onePart } from './period-parts.js';

const P = AGGREGATE_PERIOD_MS;
const READ_LAG_MS = 1_000;
const part = (n: number, windows: number): PeriodPart => ({ ...onePart(n), energyJ: windows, observedS: 10 * windows, windows });

interface Rig {
  store: SharedStore;
  /** The parts influxd holds and the ones its reads answer (behind while a write is not yet readable). */
  set(parts: PeriodPart[], visible?: PeriodPart[]): void;
  mark(periodMs: number): void;
  plans: [string, number][][];
  nowMs: { value: number };
  parts(): PeriodPart[];
}

function rig(): Rig {
  let parts = [0, 1, 2, 3].map((n) => part(n, 1));
  let visible = parts;
  const markers: { device: string; writer: string; timeNs: bigint; periodMs: number | null }[] = [];
  const plans: [string, number][][] = [];
  const windows = {
    kind: 'fake',
    capabilities: { readAfterWrite: 'eventual', maxReadLagMs: READ_LAG_MS, networked: true },
    writeWindows: async () => {},
    aggregates: async () => new Map<string, DeviceAggregate>(),
    close: async () => {},
    changes: async () => markers,
    aggregateParts: async (fromMsById: ReadonlyMap<string, number>) => {
      plans.push([...fromMsById]);
      return new Map([...fromMsById].map(([id, fromMs]) => [id, { parts: visible.filter((p) => p.periodMs >= fromMs), instruments: [] }]));
    },
  } as unknown as WindowStore;
  const nowMs = { value: 0 };
  const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'a', () => nowMs.value);
  return {
    store,
    set: (next, seen = next) => {
      parts = next;
      visible = seen;
    },
    mark: (periodMs) => markers.push({ device: 'd1', writer: 'w', timeNs: BigInt(markers.length + 1), periodMs }),
    plans,
    nowMs,
    parts: () => parts,
  };
}

it('a window in the kept period 2P that the read taking its marker missed is read again at the next change, to 3P', async () => {
  const { store, set, mark, plans, parts } = rig();
  await store.getAggregate('d1'); // in full: periods 0–1 in the prefix, 2P and 3P kept
  // A batch with a window in 2P and one in 3P: its marker (2P) is readable, its points not yet.
  const old = parts();
  set(
    old.map((p) => (p.periodMs >= 2 * P ? part(p.periodMs / P, 2) : p)),
    old,
  );
  mark(2 * P);
  await store.syncFleet(); // began within the lag of seeing the marker: takes the old rows
  // The points become readable; the device's next window lands in 3P.
  set(parts().map((p) => (p.periodMs === 3 * P ? part(3, 3) : p)));
  mark(3 * P);
  await store.syncFleet();
  expect(plans.at(-1)).toEqual([['d1', 2 * P]]); // from the part the lagging read took, not from 3P alone
  expect((await store.getAggregate('d1'))!.windows).toBe(foldParts('d1', undefined, parts())!.windows); // 7, not 6
  await store.close();
});

it('a read that began the lag or more after seeing its marker leaves nothing to read again: the next change to 3P reads 3P alone', async () => {
  const { store, set, mark, plans, nowMs, parts } = rig();
  await store.getAggregate('d1');
  set(parts().map((p) => (p.periodMs >= 2 * P ? part(p.periodMs / P, 2) : p)));
  mark(2 * P);
  // The marker is seen by this pass's marker read; the pass's reads are made to begin READ_LAG_MS later. (Only this
  // pass's: time between passes would make the sweep's share due, and this lone device would be read in full.)
  const syncChanges = store.syncChanges.bind(store);
  store.syncChanges = async () => {
    await syncChanges();
    nowMs.value += READ_LAG_MS;
    store.syncChanges = syncChanges;
  };
  await store.syncFleet();
  expect(plans.at(-1)).toEqual([['d1', 2 * P]]);
  set(parts().map((p) => (p.periodMs === 3 * P ? part(3, 3) : p)));
  mark(3 * P);
  await store.syncFleet();
  expect(plans.at(-1)).toEqual([['d1', 3 * P]]);
  expect((await store.getAggregate('d1'))!.windows).toBe(foldParts('d1', undefined, parts())!.windows);
  await store.close();
});
