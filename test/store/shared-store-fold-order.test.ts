/**
 * A tail read (the change's periods read, the kept parts before them reused) gives the bits of a fresh full fold, on
 * values where the order of additions matters, over random batches: the newest period, a new one, windows late by one
 * to four periods (gaps included), batches over two periods, instruments.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceAggregate } from '../../src/domain/types.js';
import type { InstrumentId } from '../../src/domain/instruments.js';
import type { InfluxRegistry } from '../../src/store/influx/influx-registry.js';
import { AGGREGATE_PERIOD_MS, foldParts, type PeriodPart } from '../../src/store/influx/aggregate-fold.js';
import { SharedStore } from '../../src/store/shared-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { WindowStore } from '../../src/store/window-store.js';
import { MemoryRegistry } from './memory-registry.js';
import { onePart } from './period-parts.js';

const P = AGGREGATE_PERIOD_MS;
const part = (n: number, energyJ: number): PeriodPart => ({
  ...onePart(n),
  energyJ,
  observedS: energyJ / 3,
  energySquaresJ2: energyJ * energyJ,
  energyDurationJS: energyJ * 7,
});

/** A deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('tail reads against a fresh full fold, on order-sensitive values', () => {
  it('a new period after two kept ones: the fold order is checked (0.1 + 0.2 + 0.3 ≠ 0.1 + (0.2 + 0.3))', async () => {
    let parts = [part(0, 0.1), part(1, 0.2), part(2, 0.3)];
    let markers: { device: string; writer: string; timeNs: bigint; periodMs: number | null }[] = [];
    const windows = {
      kind: 'fake',
      capabilities: { readAfterWrite: 'immediate', networked: false },
      writeWindows: async () => {},
      aggregates: async () => new Map<string, DeviceAggregate>(),
      close: async () => {},
      changes: async () => markers,
      aggregateParts: async (fromMsById: ReadonlyMap<string, number>) =>
        new Map([...fromMsById].map(([id, fromMs]) => [id, { parts: parts.filter((p) => p.periodMs >= fromMs).map((p) => ({ ...p })), instruments: [] }])),
    } as unknown as WindowStore;
    const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'a', () => 0);
    await store.getAggregate('d1');
    parts = [...parts, part(3, 0.4)];
    markers = [{ device: 'd1', writer: 'w', timeNs: 1n, periodMs: 3 * P }];
    await store.syncFleet();
    const served = (await store.getAggregate('d1'))!;
    const full = foldParts('d1', undefined, parts)!;
    expect(Object.is(served.energyJ, full.energyJ)).toBe(true);
    await store.close();
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`random changes, seed ${seed}: every pass serves the bits of a full fold`, async () => {
      const random = rng(seed);
      // What influxd holds: per period, its part and the instruments its windows name.
      const held = new Map<number, { part: PeriodPart; instruments: Set<InstrumentId> }>();
      const add = (n: number): void => {
        const energy = random() * 10 ** Math.floor(random() * 6 - 2);
        const had = held.get(n);
        const next =
          had === undefined
            ? part(n, energy)
            : { ...had.part, energyJ: had.part.energyJ + energy, windows: had.part.windows + 1, observedS: had.part.observedS + energy / 3 };
        const instruments = had?.instruments ?? new Set<InstrumentId>();
        if (random() < 0.1) {
          instruments.add((['lpm01a', 'ppk2', 'js110', 'js220'] as const)[Math.floor(random() * 4)]!);
          next.instrumentWindows += 1;
        }
        held.set(n, { part: next, instruments });
      };
      const sorted = (): PeriodPart[] => [...held.values()].map((h) => h.part).sort((a, b) => a.periodMs - b.periodMs);
      let markers: { device: string; writer: string; timeNs: bigint; periodMs: number | null }[] = [];
      const windows = {
        kind: 'fake',
        capabilities: { readAfterWrite: 'immediate', networked: false },
        writeWindows: async () => {},
        aggregates: async () => new Map<string, DeviceAggregate>(),
        close: async () => {},
        changes: async () => markers,
        aggregateParts: async (fromMsById: ReadonlyMap<string, number>) => {
          const out = new Map<string, { parts: PeriodPart[]; instruments: InstrumentId[] }>();
          for (const [id, fromMs] of fromMsById) {
            const inRange = [...held.values()].filter((h) => h.part.periodMs >= fromMs);
            if (inRange.length === 0) continue;
            const names = new Set(inRange.flatMap((h) => [...h.instruments]));
            out.set(id, {
              parts: inRange.map((h) => ({ ...h.part })).sort((a, b) => a.periodMs - b.periodMs),
              instruments: (['lpm01a', 'ppk2', 'js110', 'js220'] as const).filter((i) => names.has(i)),
            });
          }
          return out;
        },
      } as unknown as WindowStore;
      const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'a', () => 0);
      let newest = 10;
      for (let n = 0; n <= newest; n += 1) if (random() < 0.7) add(n);
      add(newest);
      await store.getAggregate('d1');
      let time = 0n;
      for (let step = 0; step < 300; step += 1) {
        const r = random();
        // A batch: the newest period (most often), a new one, or a late window 1–4 periods back, sometimes two at once.
        const touched: number[] = [];
        if (r < 0.5) touched.push(newest);
        else if (r < 0.75) touched.push((newest += 1));
        else touched.push(newest - 1 - Math.floor(random() * 4));
        if (random() < 0.2) touched.push(newest);
        for (const n of touched) add(n);
        time += 1n;
        markers = [...markers.slice(-20), { device: 'd1', writer: 'w', timeNs: time, periodMs: Math.min(...touched) * P }];
        await store.syncFleet();
        const served = (await store.getAggregate('d1'))!;
        const full = foldParts(
          'd1',
          undefined,
          sorted(),
          (['lpm01a', 'ppk2', 'js110', 'js220'] as const).filter((i) => [...held.values()].some((h) => h.instruments.has(i))),
        )!;
        for (const key of ['energyJ', 'observedS', 'windows', 'energySquaresJ2', 'energyDurationJS', 'firstSeenMs', 'lastSeenMs'] as const) {
          expect(Object.is(served[key], full[key]), `step ${step} ${key}: ${served[key]} vs ${full[key]}`).toBe(true);
        }
        expect(served.instruments, `step ${step} instruments`).toEqual(full.instruments);
      }
      await store.close();
    });
  }
});
