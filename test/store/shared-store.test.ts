/**
 * SharedStore's registry bookkeeping against an in-memory registry (the real InfluxDB runs in shared-store.int.test.ts):
 * the conflict rule converges after this instance's own edit loses, and an edit made while a sync's write is in flight
 * is not dropped from the pending writes.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceAggregate } from '../../src/domain/types.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { entryKeyOf, type InfluxRegistry } from '../../src/store/influx/influx-registry.js';
import { AGGREGATE_PERIOD_MS, foldParts, type PeriodPart } from '../../src/store/influx/aggregate-fold.js';
import { CHANGE_RETENTION_MS } from '../../src/store/influx/influx-window-store.js';
import { SharedStore } from '../../src/store/shared-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { WindowStore } from '../../src/store/window-store.js';
import { MemoryRegistry } from './memory-registry.js';
import { onePart as onePartAt } from './period-parts.js';

/** One period's partial aggregate: one window. */
const onePart: PeriodPart = onePartAt(0);

const noWindows: WindowStore = {
  kind: 'none',
  capabilities: { readAfterWrite: 'immediate', networked: false },
  writeWindows: async () => {},
  aggregates: async () => new Map<string, DeviceAggregate>(),
  close: async () => {},
} as unknown as WindowStore;

function instance(registry: MemoryRegistry, id: string, clock: () => number): SharedStore {
  return new SharedStore(SqliteStore.open(':memory:', { clock }), noWindows, registry as unknown as InfluxRegistry, id);
}

/** What a fake InfluxDB holding `held` answers an aggregate read: each device's parts from its period on (without first-seen where asked). */
function heldParts(
  held: ReadonlyMap<string, PeriodPart[]>,
  fromMsById: ReadonlyMap<string, number>,
  withoutFirstSeen: ReadonlySet<string> | undefined,
): Map<string, { parts: PeriodPart[]; instruments: [] }> {
  const out = new Map<string, { parts: PeriodPart[]; instruments: [] }>();
  for (const [id, fromMs] of fromMsById) {
    const parts = (held.get(id) ?? [])
      .filter((part) => part.periodMs >= fromMs)
      .map((part) => (withoutFirstSeen?.has(id) === true ? { ...part, firstSeenMs: null } : { ...part }));
    if (parts.length > 0) out.set(id, { parts, instruments: [] });
  }
  return out;
}

describe('SharedStore registry bookkeeping', () => {
  it('adopts the winning entry even after this instance wrote its own, losing, edit since adopting', async () => {
    const registry = new MemoryRegistry();
    let nowMs = Date.parse('2026-12-01T10:00:00Z');
    const a = instance(registry, 'instance-a', () => nowMs);
    await a.createDevice({ id: 'd1', name: 'first', spec: SEED_DEFAULT_SPEC });
    // Instance B, its clock 10 s ahead, edits the device: its entry wins over anything A writes in the next 10 s.
    const fromB = { ...(await a.getDevice('d1'))!, name: 'from B', updatedAt: new Date(nowMs + 10_000).toISOString() };
    registry.entries.push({ device: fromB, key: entryKeyOf(fromB, 'instance-b') });
    await a.syncRegistry();
    expect((await a.getDevice('d1'))!.name).toBe('from B');
    nowMs += 1_000;
    await a.updateDevice('d1', { name: 'from A, later by its clock but losing' });
    await a.syncRegistry();
    expect((await a.getDevice('d1'))!.name).toBe('from B'); // the rule's winner, as every other instance serves it
    await a.close();
  });

  it('keeps an edit pending when its write fails while a sync writes the same device', async () => {
    const registry = new MemoryRegistry();
    let nowMs = Date.parse('2026-12-01T10:00:00Z');
    const a = instance(registry, 'instance-a', () => nowMs);
    registry.failWrites = true;
    await a.createDevice({ id: 'd1', name: 'v1', spec: SEED_DEFAULT_SPEC });
    expect(a.pendingRegistryWrites).toBe(1);
    registry.failWrites = false;
    const held = registry.holdNextWrite();
    const sync = a.syncRegistry(); // writes v1, held in flight
    await held.started;
    registry.failWrites = true;
    nowMs += 1_000;
    await a.updateDevice('d1', { name: 'v2' }); // its own write fails: pending again
    held.release();
    await sync;
    expect(a.pendingRegistryWrites).toBe(1);
    registry.failWrites = false;
    await a.syncRegistry();
    expect((await registry.winners()).map((entry) => entry.device.name)).toEqual(['v2']);
    await a.close();
  });
});

describe('SharedStore aggregates', () => {
  it("answers a device's aggregate from the last page read (the fleet sync), querying the window store only for a device not read yet", async () => {
    const calls: string[][] = [];
    const aggregate = { windows: 3 } as unknown as DeviceAggregate;
    const windows = {
      ...noWindows,
      aggregates: async (ids: readonly string[]) => {
        calls.push([...ids]);
        return new Map(ids.filter((id) => id === 'd1').map((id) => [id, aggregate]));
      },
    } as unknown as WindowStore;
    const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'instance-a');
    await store.createDevice({ id: 'd1', spec: SEED_DEFAULT_SPEC });
    await store.createDevice({ id: 'd2', spec: SEED_DEFAULT_SPEC });
    expect(await store.getAggregate('d1')).toBe(aggregate); // not read yet: asks the window store
    expect(calls).toEqual([['d1']]);
    await store.listDevicesWithAggregates({ limit: 10, offset: 0 }); // the sync's read
    expect(calls).toHaveLength(2);
    expect(await store.getAggregate('d1')).toBe(aggregate);
    expect(await store.getAggregate('d2')).toBeUndefined(); // read by the sync: no windows
    expect(calls).toHaveLength(2);
    await store.close();
  });

  it('with a change feed, reads the devices asked for in one event-loop turn in one window-store read', async () => {
    const calls: string[][] = [];
    const windows = {
      ...noWindows,
      changes: async () => [],
      aggregateParts: async (fromMsById: ReadonlyMap<string, number>) => {
        calls.push([...fromMsById.keys()]);
        return new Map([...fromMsById.keys()].map((id) => [id, { parts: [{ ...onePart, periodMs: 0 }], instruments: [] }]));
      },
    } as unknown as WindowStore;
    const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'instance-a');
    const ids = Array.from({ length: 32 }, (_, n) => `d${n}`);
    const answers = await Promise.all(ids.map((id) => store.getAggregate(id)));
    expect(answers.map((answer) => answer?.deviceId)).toEqual(ids);
    expect(calls).toEqual([ids]);
    expect(await store.getAggregate('d3')).toMatchObject({ deviceId: 'd3' }); // kept: no new change marker
    expect(calls).toHaveLength(1);
    await store.close();
  });

  it('a tail read asks no first-seen time of a device whose earlier periods have one, and serves the bits of a full fold', async () => {
    const P = AGGREGATE_PERIOD_MS;
    const held = new Map<string, PeriodPart[]>([['d1', [0, 1].map((n) => ({ ...onePart, periodMs: n * P, firstSeenMs: n * P + 7 }))]]);
    const asked: { plan: [string, number][]; withoutFirstSeen: string[] }[] = [];
    let markers: { device: string; writer: string; timeNs: bigint; periodMs: number | null }[] = [];
    const windows = {
      ...noWindows,
      changes: async () => markers,
      aggregateParts: async (fromMsById: ReadonlyMap<string, number>, options?: { withoutFirstSeen?: ReadonlySet<string> }) => {
        asked.push({ plan: [...fromMsById], withoutFirstSeen: [...(options?.withoutFirstSeen ?? [])].sort() });
        return heldParts(held, fromMsById, options?.withoutFirstSeen);
      },
    } as unknown as WindowStore;
    const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'instance-a', () => 0);
    await Promise.all([store.getAggregate('d1'), store.getAggregate('d2')]); // full reads; d2 has no window yet
    expect(asked).toEqual([
      {
        plan: [
          ['d1', 0],
          ['d2', 0],
        ],
        withoutFirstSeen: [],
      },
    ]);
    // d1's newest period changes; d2's first window arrives: only d1 has a first-seen from before its read's start.
    held.set('d1', [{ ...held.get('d1')![0]! }, { ...held.get('d1')![1]!, energyJ: 0.3, windows: 2 }]);
    held.set('d2', [{ ...onePart, periodMs: P, firstSeenMs: P + 3 }]);
    markers = [
      { device: 'd1', writer: 'w', timeNs: 1n, periodMs: P },
      { device: 'd2', writer: 'w', timeNs: 1n, periodMs: P },
    ];
    await store.syncFleet();
    expect(asked[1]).toEqual({
      plan: [
        ['d1', P],
        ['d2', P],
      ],
      withoutFirstSeen: ['d1'],
    });
    expect(await store.getAggregate('d1')).toEqual(foldParts('d1', undefined, held.get('d1')!));
    expect((await store.getAggregate('d1'))!.firstSeenMs).toBe(7);
    expect(await store.getAggregate('d2')).toEqual(foldParts('d2', undefined, held.get('d2')!));
    // A new period for d1 later: its kept parts (one read without first-seen) still fold to the full fold's bits.
    held.set('d1', [...held.get('d1')!, { ...onePart, periodMs: 2 * P, firstSeenMs: 2 * P }]);
    markers = [...markers, { device: 'd1', writer: 'w', timeNs: 2n, periodMs: 2 * P }];
    await store.syncFleet();
    expect(asked[2]).toEqual({ plan: [['d1', 2 * P]], withoutFirstSeen: ['d1'] });
    expect(await store.getAggregate('d1')).toEqual(foldParts('d1', undefined, held.get('d1')!));
    await store.close();
  });

  it('asks a re-read to settle against the parts it kept when they cover its range, and a read from a folded prefix not', async () => {
    const P = AGGREGATE_PERIOD_MS;
    const held = new Map<string, PeriodPart[]>([
      ['d1', [onePartAt(0)]],
      ['d2', [0, 1, 2].map(onePartAt)],
    ]);
    const expectedOf: Map<string, unknown>[] = [];
    let markers: { device: string; writer: string; timeNs: bigint; periodMs: number | null }[] = [];
    const windows = {
      ...noWindows,
      changes: async () => markers,
      aggregateParts: async (
        fromMsById: ReadonlyMap<string, number>,
        options?: { withoutFirstSeen?: ReadonlySet<string>; expected?: ReadonlyMap<string, unknown> },
      ) => {
        expectedOf.push(new Map(options?.expected ?? []));
        return heldParts(held, fromMsById, options?.withoutFirstSeen);
      },
    } as unknown as WindowStore;
    const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'instance-a', () => 0);
    await Promise.all([store.getAggregate('d1'), store.getAggregate('d2'), store.getAggregate('d3')]); // first reads: nothing kept
    expect(expectedOf).toEqual([new Map()]);
    // d1 in full (its one period kept), d2 from its newest period, d3 (no windows) in full.
    markers = [
      { device: 'd1', writer: 'w', timeNs: 1n, periodMs: 0 },
      { device: 'd2', writer: 'w', timeNs: 1n, periodMs: 2 * P },
      { device: 'd3', writer: 'w', timeNs: 1n, periodMs: 0 },
    ];
    await store.syncFleet();
    expect(expectedOf[1]).toEqual(
      new Map([
        ['d1', { parts: [onePartAt(0)], instruments: [] }],
        ['d2', { parts: [{ ...onePartAt(2), firstSeenMs: null }], instruments: [] }],
        ['d3', { parts: [], instruments: [] }],
      ]),
    );
    // A marker that does not say how far back (an older writer): d2 in full, and its periods 0–1 are folded: nothing expected.
    markers = [...markers, { device: 'd2', writer: 'old', timeNs: 2n, periodMs: null }];
    await store.syncFleet();
    expect(expectedOf[2]).toEqual(new Map());
    await store.close();
  });

  it('a pass whose tail read fails keeps the change and its reach: the next pass reads the same tail, and serves the full fold', async () => {
    const P = AGGREGATE_PERIOD_MS;
    const parts = [0, 1, 2, 3].map((n) => ({ ...onePart, periodMs: n * P, energyJ: [0.1, 0.2, 0.3, 0.4][n]! }));
    const plans: [string, number][][] = [];
    let failNext = false;
    let markers: { device: string; writer: string; timeNs: bigint; periodMs: number | null }[] = [];
    const windows = {
      ...noWindows,
      changes: async () => markers,
      aggregateParts: async (fromMsById: ReadonlyMap<string, number>) => {
        plans.push([...fromMsById]);
        if (failNext) {
          failNext = false;
          throw new Error('influxd down');
        }
        return new Map([...fromMsById].map(([id, fromMs]) => [id, { parts: parts.filter((part) => part.periodMs >= fromMs), instruments: [] }]));
      },
    } as unknown as WindowStore;
    const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'instance-a', () => 0);
    expect((await store.getAggregate('d1'))!.windows).toBe(4); // a full read: the fold of periods 0–1 kept, tails from period 2
    markers = [{ device: 'd1', writer: 'w', timeNs: 1n, periodMs: 3 * P }];
    failNext = true;
    await expect(store.syncFleet()).rejects.toThrow('influxd down');
    expect(await store.syncFleet()).toEqual({ devices: [], aggregates: [] }); // same totals as served: nothing to answer
    expect(plans).toEqual([[['d1', 0]], [['d1', 3 * P]], [['d1', 3 * P]]]);
    expect(store.takeSyncStats()).toMatchObject({ fullReads: 1, tailReads: 1 });
    expect((await store.getAggregate('d1'))!.energyJ).toBe(foldParts('d1', undefined, parts)!.energyJ);
    // A marker reaching before the kept period (a late window in period 1): a full read.
    markers = [...markers, { device: 'd1', writer: 'w', timeNs: 2n, periodMs: P }];
    await store.syncFleet();
    expect(plans.at(-1)).toEqual([['d1', 0]]);
    await store.close();
  });
  it('reads a change to the newest period from that period alone, folding the kept parts before it: the bits of a full fold', async () => {
    const P = AGGREGATE_PERIOD_MS;
    // Energies whose float sum depends on the order of the additions: (0.1 + 0.2) + 0.3 is not 0.1 + (0.2 + 0.3).
    let parts = [0, 1, 2, 3].map((n) => ({ ...onePart, periodMs: n * P, energyJ: [0.1, 0.2, 0.3, 0.4][n]! }));
    const plans: [string, number][][] = [];
    let markers: { device: string; writer: string; timeNs: bigint; periodMs: number | null }[] = [];
    const windows = {
      ...noWindows,
      changes: async () => markers,
      aggregateParts: async (fromMsById: ReadonlyMap<string, number>) => {
        plans.push([...fromMsById]);
        return new Map([...fromMsById].map(([id, fromMs]) => [id, { parts: parts.filter((part) => part.periodMs >= fromMs), instruments: [] }]));
      },
    } as unknown as WindowStore;
    const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'instance-a', () => 0);
    const sameAsFullFold = async (): Promise<void> => {
      const served = (await store.getAggregate('d1'))!;
      const full = foldParts('d1', undefined, parts)!;
      for (const key of ['energyJ', 'windows', 'observedS'] as const) expect(Object.is(served[key], full[key]), key).toBe(true);
    };
    await store.getAggregate('d1'); // in full: periods 0–1 folded into the prefix, 2–3 kept
    // Two windows land in period 3.
    parts = parts.map((part) => (part.periodMs === 3 * P ? { ...part, energyJ: 0.4 + 0.7, windows: 3 } : part));
    markers = [{ device: 'd1', writer: 'w', timeNs: 1n, periodMs: 3 * P }];
    await store.syncFleet();
    expect(plans.at(-1)).toEqual([['d1', 3 * P]]);
    await sameAsFullFold();
    // A window in a new period 4: read from it alone; the prefix moves up to period 3.
    parts = [...parts, { ...onePart, periodMs: 4 * P, energyJ: 1e-9 }];
    markers = [...markers, { device: 'd1', writer: 'w', timeNs: 2n, periodMs: 4 * P }];
    await store.syncFleet();
    expect(plans.at(-1)).toEqual([['d1', 4 * P]]);
    await sameAsFullFold();
    // A late window in period 3 (kept): read from it.
    parts = parts.map((part) => (part.periodMs === 3 * P ? { ...part, energyJ: part.energyJ + 3.3e-7, windows: 4 } : part));
    markers = [...markers, { device: 'd1', writer: 'w', timeNs: 3n, periodMs: 3 * P }];
    await store.syncFleet();
    expect(plans.at(-1)).toEqual([['d1', 3 * P]]);
    await sameAsFullFold();
    // A late window in period 2, folded into the prefix since: a full read.
    parts = parts.map((part) => (part.periodMs === 2 * P ? { ...part, energyJ: 1.5, windows: 2 } : part));
    markers = [...markers, { device: 'd1', writer: 'w', timeNs: 4n, periodMs: 2 * P }];
    await store.syncFleet();
    expect(plans.at(-1)).toEqual([['d1', 0]]);
    await sameAsFullFold();
    expect(store.takeSyncStats()).toMatchObject({ fullReads: 2, tailReads: 3 });
    await store.close();
  });

  it("after a look-back beyond the markers' retention (InfluxDB out for an hour), the next pass reads every device read before in full", async () => {
    let nowMs = 0;
    let failChanges = false;
    const plans: [string, number][][] = [];
    const windows = {
      ...noWindows,
      changes: async () => {
        if (failChanges) throw new Error('influxd down');
        return [];
      },
      aggregateParts: async (fromMsById: ReadonlyMap<string, number>) => {
        plans.push([...fromMsById]);
        return new Map([...fromMsById.keys()].map((id) => [id, { parts: [onePart], instruments: [] }]));
      },
    } as unknown as WindowStore;
    const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'instance-a', () => nowMs);
    await Promise.all([store.getAggregate('d1'), store.getAggregate('d2')]);
    await store.syncFleet(); // no marker: nothing read
    expect(plans).toHaveLength(1);
    failChanges = true;
    nowMs += CHANGE_RETENTION_MS;
    await expect(store.syncFleet()).rejects.toThrow('influxd down');
    failChanges = false;
    await store.syncFleet(); // the markers of the outage are gone: both are read again, in full
    expect(plans).toHaveLength(2);
    expect(new Map(plans[1])).toEqual(
      new Map([
        ['d1', 0],
        ['d2', 0],
      ]),
    );
    await store.close();
  });

  it('of two reads of one device that overlap, the one that finishes last is not applied over the other: the next pass reads it in full', async () => {
    const P = AGGREGATE_PERIOD_MS;
    let energyJ = 1;
    const held: (() => void)[] = [];
    const plans: [string, number][][] = [];
    const windows = {
      ...noWindows,
      changes: async () => [],
      aggregateParts: async (fromMsById: ReadonlyMap<string, number>) => {
        plans.push([...fromMsById]);
        const seen = energyJ; // what influxd holds when the read begins
        await new Promise<void>((resolve) => held.push(resolve));
        return new Map([...fromMsById.keys()].map((id) => [id, { parts: [{ ...onePart, periodMs: 5 * P, energyJ: seen }], instruments: [] }]));
      },
    } as unknown as WindowStore;
    const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'instance-a', () => 0);
    const older = store.getAggregate('d1');
    while (held.length < 1) await new Promise((resolve) => setImmediate(resolve));
    energyJ = 2; // a window lands
    const newer = store.getAggregate('d1'); // another turn: a read of its own
    while (held.length < 2) await new Promise((resolve) => setImmediate(resolve));
    held[1]!();
    expect((await newer)!.energyJ).toBe(2);
    held[0]!(); // the older read finishes last
    await older;
    expect((await store.getAggregate('d1'))!.energyJ).toBe(2);
    const pass = store.syncFleet(); // no marker: d1 is read because its older read was dropped
    while (held.length < 3) await new Promise((resolve) => setImmediate(resolve));
    held[2]!();
    await pass;
    expect(plans.at(-1)).toEqual([['d1', 0]]);
    await store.close();
  });
});
