/**
 * The behaviour every Store implementation must have. Call `storeContract(name, makeStore, cleanup)` from a test file.
 * `makeStore` must return a fresh, empty, open store; the contract closes it after each test (unless the test did),
 * then calls `cleanup`.
 * Numbers are chosen to be exact in binary floating point, so sums are compared with toBe, not toBeCloseTo.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, StoreClosedError, ValidationError, WindowRefusedError } from '../../src/domain/errors.js';
import type { DeviceInput, DeviceSpec, EnergyWindow } from '../../src/domain/types.js';
import type { AppendGroupOutcome, Store } from '../../src/store/store.js';

export const CONTRACT_SPEC: DeviceSpec = {
  system: 'kws-typical',
  training: 'none',
  trainingDevices: 1,
  grid: 'epa',
  lifetimeYears: 5,
  chargerEfficiency: 0.9,
  battery: { capacityWh: 1, cycleLife: 500 },
};

export function contractDevice(id: string, overrides: Partial<DeviceInput> = {}): DeviceInput {
  return { id, name: `Device ${id}`, spec: CONTRACT_SPEC, ...overrides };
}

/**
 * Window `seq` of `deviceId`: starts at 1 000 000 + seq·10 000 ms (stamped by the device), lasts 10 s, 0.5 J,
 * 100 samples, 3 inferences. Consecutive seqs touch and do not overlap.
 */
export function contractWindow(deviceId: string, seq: number, overrides: Partial<EnergyWindow> = {}): EnergyWindow {
  return {
    deviceId,
    seq,
    startMs: 1_000_000 + seq * 10_000,
    durationS: 10,
    energyJ: 0.5,
    sampleCount: 100,
    minPowerW: 0.025,
    maxPowerW: 0.125,
    inferenceCount: 3,
    source: 'http',
    startStampedBy: 'device',
    ...overrides,
  };
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function storeContract(name: string, makeStore: () => Promise<Store>, cleanup?: () => Promise<void>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      try {
        await store.close();
      } catch (error) {
        if (!(error instanceof StoreClosedError)) throw error;
      }
      await cleanup?.();
    });

    describe('devices', () => {
      it('creates a device with defaults and returns what getDevice returns', async () => {
        const created = await store.createDevice({ id: 'd1', spec: CONTRACT_SPEC });
        expect(created.id).toBe('d1');
        expect(created.name).toBe('d1');
        expect(created.fleet).toBeNull();
        expect(created.deployedAt).toBeNull();
        expect(created.spec).toEqual(CONTRACT_SPEC);
        expect(created.createdAt).toMatch(ISO_DATE_TIME);
        expect(created.updatedAt).toBe(created.createdAt);
        expect(await store.getDevice('d1')).toEqual(created);
      });

      it('stores name, fleet, deployedAt and a custom system spec', async () => {
        const spec: DeviceSpec = {
          ...CONTRACT_SPEC,
          system: { base: 'kws-typical', scenario: 'max', blocks: { memory: { level: 2 }, pcb: { kgCO2e: 0.75 } } },
          grid: 'custom:0.25',
        };
        const created = await store.createDevice({
          id: 'custom-1',
          name: 'Custom one',
          fleet: 'north',
          deployedAt: '2024-03-01T12:00:00.000Z',
          spec,
        });
        expect(created).toMatchObject({
          id: 'custom-1',
          name: 'Custom one',
          fleet: 'north',
          deployedAt: '2024-03-01T12:00:00.000Z',
          spec,
        });
        expect(await store.getDevice('custom-1')).toEqual(created);
      });

      it('returns undefined for an unknown device', async () => {
        expect(await store.getDevice('nope')).toBeUndefined();
      });

      it('rejects a duplicate id with ConflictError and keeps the original', async () => {
        const original = await store.createDevice(contractDevice('d1'));
        await expect(store.createDevice(contractDevice('d1', { name: 'Other' }))).rejects.toBeInstanceOf(ConflictError);
        expect(await store.getDevice('d1')).toEqual(original);
        expect(await store.countDevices()).toBe(1);
      });

      it('counts devices', async () => {
        expect(await store.countDevices()).toBe(0);
        await store.createDevice(contractDevice('a'));
        await store.createDevice(contractDevice('b'));
        await store.createDevice(contractDevice('c'));
        expect(await store.countDevices()).toBe(3);
      });

      it('counts the devices of one fleet', async () => {
        await store.createDevice(contractDevice('a', { fleet: 'north' }));
        await store.createDevice(contractDevice('b', { fleet: 'south' }));
        await store.createDevice(contractDevice('c', { fleet: 'north' }));
        await store.createDevice(contractDevice('d'));
        expect(await store.countDevices('north')).toBe(2);
        expect(await store.countDevices('south')).toBe(1);
        expect(await store.countDevices('west')).toBe(0);
        expect(await store.countDevices()).toBe(4);
      });

      it('updates columns and shallow-merges the spec', async () => {
        const original = await store.createDevice(contractDevice('d1', { fleet: 'north' }));
        const updated = await store.updateDevice('d1', {
          name: 'Renamed',
          deployedAt: '2025-01-02T03:04:05.000Z',
          spec: { grid: 'FRA', lifetimeYears: 7, battery: { capacityWh: 2 } },
        });
        expect(updated).toEqual({
          id: 'd1',
          name: 'Renamed',
          fleet: 'north',
          deployedAt: '2025-01-02T03:04:05.000Z',
          spec: {
            system: 'kws-typical',
            training: 'none',
            trainingDevices: 1,
            grid: 'FRA',
            lifetimeYears: 7,
            chargerEfficiency: 0.9,
            // Shallow merge: the nested battery object is replaced, not merged.
            battery: { capacityWh: 2 },
          },
          createdAt: original.createdAt,
          updatedAt: updated.updatedAt,
        });
        expect(updated.updatedAt).toMatch(ISO_DATE_TIME);
        expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(original.createdAt));
        expect(await store.getDevice('d1')).toEqual(updated);
      });

      it('clears fleet and deployedAt with null and leaves omitted fields alone', async () => {
        await store.createDevice(contractDevice('d1', { fleet: 'north', deployedAt: '2024-01-01T00:00:00.000Z' }));
        const cleared = await store.updateDevice('d1', { fleet: null, deployedAt: null });
        expect(cleared.fleet).toBeNull();
        expect(cleared.deployedAt).toBeNull();
        expect(cleared.name).toBe('Device d1');
        expect(cleared.spec).toEqual(CONTRACT_SPEC);
        const untouched = await store.updateDevice('d1', {});
        expect(untouched.name).toBe('Device d1');
        expect(untouched.fleet).toBeNull();
        expect(untouched.spec).toEqual(CONTRACT_SPEC);
        expect(await store.listDevices({ limit: 10, offset: 0, fleet: 'north' })).toEqual([]);
      });

      it('rejects updating an unknown device with NotFoundError and creates nothing', async () => {
        await expect(store.updateDevice('ghost', { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.getDevice('ghost')).toBeUndefined();
        expect(await store.countDevices()).toBe(0);
      });

      it('ensureDevice creates once and never modifies an existing device', async () => {
        const first = await store.ensureDevice(contractDevice('d1', { fleet: 'north' }));
        expect(first.created).toBe(true);
        expect(first.device).toMatchObject({ id: 'd1', name: 'Device d1', fleet: 'north', spec: CONTRACT_SPEC });
        expect(await store.getDevice('d1')).toEqual(first.device);

        const second = await store.ensureDevice({
          id: 'd1',
          name: 'Different',
          fleet: 'south',
          spec: { ...CONTRACT_SPEC, grid: 'FRA' },
        });
        expect(second.created).toBe(false);
        expect(second.device).toEqual(first.device);
        expect(await store.getDevice('d1')).toEqual(first.device);
        expect(await store.countDevices()).toBe(1);
      });

      it('ensureDevice leaves a device changed by updateDevice as it is', async () => {
        await store.createDevice(contractDevice('d1'));
        const updated = await store.updateDevice('d1', { name: 'Kept' });
        const ensured = await store.ensureDevice(contractDevice('d1'));
        expect(ensured).toEqual({ device: updated, created: false });
      });

      it('createDevices registers many devices in one call, exactly as createDevice would', async () => {
        expect(await store.createDevices([contractDevice('m2', { fleet: 'f' }), contractDevice('m1')])).toEqual({ created: 2, existing: [] });
        expect(await store.countDevices()).toBe(2);
        expect(await store.getDevice('m2')).toMatchObject({ id: 'm2', name: 'Device m2', fleet: 'f', spec: CONTRACT_SPEC });
        expect(await store.createDevices([])).toEqual({ created: 0, existing: [] });
      });

      it('createDevices: an existing id fails the call (nothing created) unless asked to skip it', async () => {
        await store.createDevice(contractDevice('m1', { name: 'original' }));
        await expect(store.createDevices([contractDevice('m0'), contractDevice('m1')])).rejects.toBeInstanceOf(ConflictError);
        expect(await store.getDevice('m0')).toBeUndefined();
        expect(await store.createDevices([contractDevice('m0'), contractDevice('m1', { name: 'other' })], { onExisting: 'skip' })).toEqual({
          created: 1,
          existing: ['m1'],
        });
        expect((await store.getDevice('m1'))?.name).toBe('original');
      });

      it('createDevices refuses an id given twice or a malformed device, creating nothing', async () => {
        await expect(store.createDevices([contractDevice('m1'), contractDevice('m1')])).rejects.toBeInstanceOf(ValidationError);
        await expect(store.createDevices([contractDevice('m2'), contractDevice('')])).rejects.toThrow(/devices\[1\]/);
        expect(await store.countDevices()).toBe(0);
      });

      it('lists devices ordered by id, whatever the insertion order, with limit and offset', async () => {
        for (const id of ['m', 'b', 'z', 'a', 'k']) await store.createDevice(contractDevice(id));
        const all = await store.listDevices({ limit: 100, offset: 0 });
        expect(all.map((d) => d.id)).toEqual(['a', 'b', 'k', 'm', 'z']);
        expect(all[0]).toEqual(await store.getDevice('a'));
        expect((await store.listDevices({ limit: 2, offset: 0 })).map((d) => d.id)).toEqual(['a', 'b']);
        expect((await store.listDevices({ limit: 2, offset: 2 })).map((d) => d.id)).toEqual(['k', 'm']);
        expect((await store.listDevices({ limit: 2, offset: 4 })).map((d) => d.id)).toEqual(['z']);
        expect(await store.listDevices({ limit: 2, offset: 5 })).toEqual([]);
        expect(await store.listDevices({ limit: 0, offset: 0 })).toEqual([]);
      });

      it('filters devices by fleet', async () => {
        await store.createDevice(contractDevice('c', { fleet: 'north' }));
        await store.createDevice(contractDevice('a', { fleet: 'north' }));
        await store.createDevice(contractDevice('b', { fleet: 'south' }));
        await store.createDevice(contractDevice('d'));
        expect((await store.listDevices({ limit: 10, offset: 0, fleet: 'north' })).map((d) => d.id)).toEqual(['a', 'c']);
        expect((await store.listDevices({ limit: 1, offset: 1, fleet: 'north' })).map((d) => d.id)).toEqual(['c']);
        expect((await store.listDevices({ limit: 10, offset: 0, fleet: 'south' })).map((d) => d.id)).toEqual(['b']);
        expect(await store.listDevices({ limit: 10, offset: 0, fleet: 'east' })).toEqual([]);
        expect((await store.listDevices({ limit: 10, offset: 0 })).map((d) => d.id)).toEqual(['a', 'b', 'c', 'd']);
      });
    });

    describe('windows and aggregates', () => {
      beforeEach(async () => {
        await store.createDevice(contractDevice('d1'));
        await store.createDevice(contractDevice('d2'));
      });

      it('has no aggregate and no windows before the first window', async () => {
        expect(await store.getAggregate('d1')).toBeUndefined();
        expect(await store.listWindows('d1', 10)).toEqual([]);
        expect(await store.appendWindows([])).toEqual({ inserted: 0, duplicates: 0, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: {} });
        expect(await store.getAggregate('d1')).toBeUndefined();
      });

      it('inserts windows and aggregates them exactly', async () => {
        const result = await store.appendWindows([
          contractWindow('d1', 2, { energyJ: 1.25, durationS: 5, sampleCount: 50, inferenceCount: 1, minPowerW: 0.0625, maxPowerW: 0.5 }),
          contractWindow('d1', 0),
          contractWindow('d1', 1, { energyJ: 2.75, sampleCount: 200, inferenceCount: 0, minPowerW: 0.03125, maxPowerW: 0.25 }),
        ]);
        expect(result).toEqual({ inserted: 3, duplicates: 0, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: { d1: 3 } });
        expect(await store.getAggregate('d1')).toEqual({
          deviceId: 'd1',
          energyJ: 4.5,
          observedS: 25,
          windows: 3,
          samples: 350,
          inferences: 4,
          minPowerW: 0.025,
          maxPowerW: 0.5,
          maxSeq: 2,
          firstSeenMs: 1_000_000,
          // seq 2 starts at 1 020 000 and lasts 5 s; seq 1 ends at 1 020 000.
          lastSeenMs: 1_025_000,
          // The sums behind the window-to-window variance of the average power.
          energySquaresJ2: 1.25 ** 2 + 0.5 ** 2 + 2.75 ** 2,
          energyDurationJS: 1.25 * 5 + 0.5 * 10 + 2.75 * 10,
          durationSquaresS2: 25 + 100 + 100,
          inferenceSpanWindows: 0,
          instruments: [],
          instrumentedS: 0,
        });
        expect(await store.getAggregate('d2')).toBeUndefined();
      });

      it('accumulates across batches, with first/last seen from start times, not seq order', async () => {
        await store.appendWindows([contractWindow('d1', 5, { startMs: 2_000_000, durationS: 2 })]);
        await store.appendWindows([contractWindow('d1', 6, { startMs: 1_500_000, durationS: 4, energyJ: 0.25 })]);
        await store.appendWindows([contractWindow('d1', 3, { startMs: 3_000_000, durationS: 0.5, energyJ: 0 })]);
        expect(await store.getAggregate('d1')).toEqual({
          deviceId: 'd1',
          energyJ: 0.75,
          observedS: 6.5,
          windows: 3,
          samples: 300,
          inferences: 9,
          minPowerW: 0.025,
          maxPowerW: 0.125,
          maxSeq: 6,
          firstSeenMs: 1_500_000,
          lastSeenMs: 3_000_500,
          energySquaresJ2: 0.5 ** 2 + 0.25 ** 2,
          energyDurationJS: 0.5 * 2 + 0.25 * 4,
          durationSquaresS2: 4 + 16 + 0.25,
          inferenceSpanWindows: 0,
          instruments: [],
          instrumentedS: 0,
        });
      });

      it('ignores null power extremes in min/max and keeps null when all are null', async () => {
        await store.appendWindows([contractWindow('d1', 0, { minPowerW: null, maxPowerW: null })]);
        expect(await store.getAggregate('d1')).toMatchObject({ windows: 1, minPowerW: null, maxPowerW: null });
        await store.appendWindows([contractWindow('d1', 1, { minPowerW: 0.5, maxPowerW: 0.75 })]);
        await store.appendWindows([contractWindow('d1', 2, { minPowerW: null, maxPowerW: null })]);
        expect(await store.getAggregate('d1')).toMatchObject({ windows: 3, minPowerW: 0.5, maxPowerW: 0.75 });
      });

      it("keeps a window's instrument and span, lists inference spans newest first, and aggregates them", async () => {
        await store.appendWindows([
          contractWindow('d1', 0),
          contractWindow('d1', 1, { instrument: 'lpm01a', span: 'inferences', durationS: 2 }),
          contractWindow('d1', 2, { instrument: 'ppk2', span: 'inferences', durationS: 3 }),
        ]);
        await store.appendWindows([contractWindow('d1', 3, { instrument: 'lpm01a', durationS: 4 })]);
        expect(await store.getAggregate('d1')).toMatchObject({ inferenceSpanWindows: 2, instruments: ['lpm01a', 'ppk2'], instrumentedS: 9 });
        expect((await store.listInferenceSpans('d1', 10)).map((w) => [w.seq, w.instrument, w.span])).toEqual([
          [2, 'ppk2', 'inferences'],
          [1, 'lpm01a', 'inferences'],
        ]);
        expect((await store.listInferenceSpans('d1', 1)).map((w) => w.seq)).toEqual([2]);
        // A time window reads back without a span; the same inference span again is a duplicate.
        expect((await store.listWindows('d1', 10)).find((w) => w.seq === 0)).toEqual(contractWindow('d1', 0));
        expect(await store.appendWindows([contractWindow('d1', 1, { instrument: 'lpm01a', span: 'inferences', durationS: 2 })])).toMatchObject({
          inserted: 0,
          duplicates: 1,
        });
        expect(await store.getAggregate('d1')).toMatchObject({ inferenceSpanWindows: 2, windows: 4 });
      });

      it('aggregates each device of a mixed batch separately', async () => {
        const result = await store.appendWindows([
          contractWindow('d1', 0),
          contractWindow('d2', 0, { energyJ: 8 }),
          contractWindow('d1', 1),
          contractWindow('d2', 7, { energyJ: 0.125 }),
        ]);
        expect(result).toEqual({ inserted: 4, duplicates: 0, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: { d1: 2, d2: 2 } });
        expect(await store.getAggregate('d1')).toMatchObject({ energyJ: 1, windows: 2, maxSeq: 1 });
        expect(await store.getAggregate('d2')).toMatchObject({ energyJ: 8.125, windows: 2, maxSeq: 7 });
      });

      it('treats the same window again (same seq, same content) as a duplicate across batches, whatever its source', async () => {
        await store.appendWindows([contractWindow('d1', 0), contractWindow('d1', 1)]);
        const before = await store.getAggregate('d1');
        const windowsBefore = await store.listWindows('d1', 10);

        expect(await store.appendWindows([contractWindow('d1', 0), contractWindow('d1', 1)])).toEqual({
          inserted: 0,
          duplicates: 2,
          seqResets: 0,
          overlaps: 0,
          refused: [],
          insertedByDevice: {},
        });
        // The source (another broker URL, another transport) is not part of what the device reported.
        expect(await store.appendWindows([contractWindow('d1', 1, { source: 'mqtt:x' })])).toMatchObject({ inserted: 0, duplicates: 1 });
        expect(await store.getAggregate('d1')).toEqual(before);
        expect(await store.listWindows('d1', 10)).toEqual(windowsBefore);
        expect(before).toMatchObject({ energyJ: 1, windows: 2 });
      });

      it('reports new windows per device: a device with only duplicates is absent', async () => {
        await store.appendWindows([contractWindow('d1', 0), contractWindow('d2', 0)]);
        const result = await store.appendWindows([contractWindow('d1', 0), contractWindow('d2', 0), contractWindow('d2', 1), contractWindow('d2', 2)]);
        expect(result).toEqual({ inserted: 2, duplicates: 2, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: { d2: 2 } });
      });

      it('within one batch: a repeated window is a duplicate; another payload under the seq over the same time is refused', async () => {
        const result = await store.appendWindows([
          contractWindow('d1', 4, { energyJ: 1.5 }),
          contractWindow('d1', 4, { energyJ: 1.5 }),
          contractWindow('d1', 4, { energyJ: 3 }),
        ]);
        expect(result).toMatchObject({ inserted: 1, duplicates: 1, seqResets: 0, overlaps: 1, insertedByDevice: { d1: 1 } });
        expect(result.refused.map((window) => [window.index, window.seq, window.reason])).toEqual([[2, 4, 'overlap']]);
        expect(await store.getAggregate('d1')).toMatchObject({ energyJ: 1.5, windows: 1, samples: 100, inferences: 3 });
        expect(await store.listWindows('d1', 10)).toEqual([contractWindow('d1', 4, { energyJ: 1.5 })]);
      });

      it('counts new and duplicate windows of a mixed batch and aggregates only the new ones', async () => {
        await store.appendWindows([contractWindow('d1', 0), contractWindow('d1', 1)]);
        const result = await store.appendWindows([
          contractWindow('d1', 1),
          contractWindow('d1', 2, { energyJ: 2 }),
          contractWindow('d1', 0),
          contractWindow('d1', 3, { energyJ: 0.25, durationS: 2.5 }),
        ]);
        expect(result).toEqual({ inserted: 2, duplicates: 2, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: { d1: 2 } });
        expect(await store.getAggregate('d1')).toEqual({
          deviceId: 'd1',
          energyJ: 3.25,
          observedS: 32.5,
          windows: 4,
          samples: 400,
          inferences: 12,
          minPowerW: 0.025,
          maxPowerW: 0.125,
          maxSeq: 3,
          firstSeenMs: 1_000_000,
          lastSeenMs: 1_032_500,
          // Only the two new windows add to the sums: a duplicate is not counted twice.
          energySquaresJ2: 0.5 ** 2 + 0.5 ** 2 + 2 ** 2 + 0.25 ** 2,
          energyDurationJS: 5 + 5 + 20 + 0.25 * 2.5,
          durationSquaresS2: 100 + 100 + 100 + 2.5 ** 2,
          inferenceSpanWindows: 0,
          instruments: [],
          instrumentedS: 0,
        });
        expect((await store.listWindows('d1', 10)).map((w) => [w.seq, w.energyJ])).toEqual([
          [3, 0.25],
          [2, 2],
          [1, 0.5],
          [0, 0.5],
        ]);
      });

      it('rejects a batch with an unknown device with NotFoundError and stores none of it', async () => {
        await store.appendWindows([contractWindow('d1', 0)]);
        const before = await store.getAggregate('d1');
        await expect(store.appendWindows([contractWindow('d1', 1), contractWindow('ghost', 0), contractWindow('d2', 0)])).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.getAggregate('d1')).toEqual(before);
        expect(await store.getAggregate('d2')).toBeUndefined();
        expect(await store.getAggregate('ghost')).toBeUndefined();
        expect((await store.listWindows('d1', 10)).map((w) => w.seq)).toEqual([0]);
        expect(await store.listWindows('d2', 10)).toEqual([]);
        expect(await store.getDevice('ghost')).toBeUndefined();
        // The rejected windows were not stored, so they are new when sent again.
        expect(await store.appendWindows([contractWindow('d1', 1), contractWindow('d2', 0)])).toEqual({
          inserted: 2,
          duplicates: 0,
          seqResets: 0,
          overlaps: 0,
          refused: [],
          insertedByDevice: { d1: 1, d2: 1 },
        });
      });

      const invalid: Array<[string, Partial<EnergyWindow>]> = [
        ['negative seq', { seq: -1 }],
        ['fractional seq', { seq: 1.5 }],
        ['unsafe seq', { seq: Number.MAX_SAFE_INTEGER + 1 }],
        ['NaN seq', { seq: Number.NaN }],
        ['negative energy', { energyJ: -0.5 }],
        ['NaN energy', { energyJ: Number.NaN }],
        ['infinite energy', { energyJ: Number.POSITIVE_INFINITY }],
        ['negative duration', { durationS: -1 }],
        ['infinite duration', { durationS: Number.POSITIVE_INFINITY }],
        ['an unknown instrument', { instrument: 'fluke' as never }],
        ['an unknown span', { span: 'forever' as never }],
        ['an inference span without inferences', { span: 'inferences', inferenceCount: 0 }],
      ];
      for (const [label, override] of invalid) {
        it(`rejects a batch containing a window with ${label} with ValidationError and stores none of it`, async () => {
          await store.appendWindows([contractWindow('d1', 0)]);
          const before = await store.getAggregate('d1');
          const bad = { ...contractWindow('d1', 5), ...override };
          await expect(store.appendWindows([contractWindow('d1', 1), bad, contractWindow('d2', 0)])).rejects.toBeInstanceOf(ValidationError);
          expect(await store.getAggregate('d1')).toEqual(before);
          expect(await store.getAggregate('d2')).toBeUndefined();
          expect((await store.listWindows('d1', 10)).map((w) => w.seq)).toEqual([0]);
        });
      }

      it('accepts seq 0, zero energy and zero duration', async () => {
        expect(await store.appendWindows([contractWindow('d1', 0, { energyJ: 0, durationS: 0 })])).toEqual({
          inserted: 1,
          duplicates: 0,
          seqResets: 0,
          overlaps: 0,
          refused: [],
          insertedByDevice: { d1: 1 },
        });
        expect(await store.getAggregate('d1')).toMatchObject({ energyJ: 0, observedS: 0, windows: 1, maxSeq: 0 });
      });

      it('lists windows most recent first (by start), at most limit, with every field as stored', async () => {
        const windows = [3, 0, 10, 2, 1].map((seq) =>
          contractWindow('d1', seq, { energyJ: seq + 0.5, source: seq % 2 === 0 ? 'serial:/dev/ttyACM0' : 'mqtt:broker' }),
        );
        await store.appendWindows(windows);
        await store.appendWindows([contractWindow('d2', 99)]);
        const all = await store.listWindows('d1', 100);
        expect(all.map((w) => w.seq)).toEqual([10, 3, 2, 1, 0]);
        expect(all[0]).toEqual(contractWindow('d1', 10, { energyJ: 10.5, source: 'serial:/dev/ttyACM0' }));
        expect(all[1]).toEqual(contractWindow('d1', 3, { energyJ: 3.5, source: 'mqtt:broker' }));
        expect((await store.listWindows('d1', 2)).map((w) => w.seq)).toEqual([10, 3]);
        expect(await store.listWindows('d1', 0)).toEqual([]);
        expect(await store.listWindows('ghost', 10)).toEqual([]);
      });

      it('stores null power extremes as null', async () => {
        await store.appendWindows([contractWindow('d1', 0, { minPowerW: null, maxPowerW: null, sampleCount: 0 })]);
        expect(await store.listWindows('d1', 1)).toEqual([contractWindow('d1', 0, { minPowerW: null, maxPowerW: null, sampleCount: 0 })]);
      });
    });

    describe('seq re-used after a reboot (firmware-protocol/SPEC.md §7.2)', () => {
      beforeEach(async () => {
        await store.createDevice(contractDevice('d1'));
      });

      /** Boot 1: seq 0..9 from 1 000 000 ms, 0.125 J each. Boot 2, a minute after: seq 0..4, 0.25 J each. */
      const boot1 = (stamp: 'device' | 'receiver') =>
        Array.from({ length: 10 }, (_, seq) => contractWindow('d1', seq, { energyJ: 0.125, startStampedBy: stamp }));
      const boot2 = (stamp: 'device' | 'receiver') =>
        Array.from({ length: 5 }, (_, seq) =>
          contractWindow('d1', seq, { startMs: 1_160_000 + seq * 10_000, energyJ: 0.25, sampleCount: 90 + seq, startStampedBy: stamp }),
        );

      it('device-stamped: seq 0..9, a reboot, seq 0..4 store 15 windows and 2.5 J; redelivering any of them changes nothing (issue 8 #4)', async () => {
        expect(await store.appendWindows(boot1('device'))).toMatchObject({ inserted: 10, seqResets: 0 });
        expect(await store.appendWindows(boot2('device'))).toMatchObject({ inserted: 5, duplicates: 0, seqResets: 5, overlaps: 0 });
        const after = await store.getAggregate('d1');
        expect(after).toMatchObject({ windows: 15, energyJ: 2.5, observedS: 150, maxSeq: 9, firstSeenMs: 1_000_000, lastSeenMs: 1_210_000 });
        const all = [...boot1('device'), ...boot2('device')];
        expect(await store.appendWindows(all)).toMatchObject({ inserted: 0, duplicates: 15, seqResets: 0, overlaps: 0 });
        for (const window of [...all].reverse()) {
          expect(await store.appendWindows([window])).toMatchObject({ inserted: 0, duplicates: 1 });
        }
        expect(await store.getAggregate('d1')).toEqual(after);
        // Most recent first by start: boot 2's low seqs before boot 1's high ones.
        expect((await store.listWindows('d1', 7)).map((w) => [w.seq, w.energyJ])).toEqual([
          [4, 0.25],
          [3, 0.25],
          [2, 0.25],
          [1, 0.25],
          [0, 0.25],
          [9, 0.125],
          [8, 0.125],
        ]);
        expect(await store.listWindows('d1', 100)).toHaveLength(15);
      });

      it('receiver-stamped: the same, although every redelivery carries another receive-time start', async () => {
        expect(await store.appendWindows(boot1('receiver'))).toMatchObject({ inserted: 10 });
        expect(await store.appendWindows(boot2('receiver'))).toMatchObject({ inserted: 5, seqResets: 5 });
        const after = await store.getAggregate('d1');
        expect(after).toMatchObject({ windows: 15, energyJ: 2.5 });
        // Re-sent an hour later, so stamped an hour later on arrival: still the same windows.
        const redelivered = [...boot1('receiver'), ...boot2('receiver')].map((w) => ({ ...w, startMs: w.startMs + 3_600_000 }));
        expect(await store.appendWindows(redelivered)).toMatchObject({ inserted: 0, duplicates: 15, seqResets: 0 });
        expect(await store.getAggregate('d1')).toEqual(after);
      });

      it('compares the start only when the device stamped both: a device-stamped copy of a receiver-stamped window is a duplicate', async () => {
        await store.appendWindows([contractWindow('d1', 0, { startStampedBy: 'receiver' })]);
        expect(await store.appendWindows([contractWindow('d1', 0, { startMs: 5_000_000 })])).toMatchObject({ inserted: 0, duplicates: 1 });
      });

      // Receiver-stamped, so that only the one field differs (the start is not compared, nor checked for overlap).
      it.each([
        ['durationS', { durationS: 9.5 }],
        ['energyJ', { energyJ: 0.5000001 }],
        ['sampleCount', { sampleCount: 101 }],
        ['minPowerW', { minPowerW: null }],
        ['maxPowerW', { maxPowerW: 0.25 }],
        ['inferenceCount', { inferenceCount: 4 }],
      ] as const)('a window under a stored seq that differs in %s is a new window (seq reset)', async (_field, change) => {
        await store.appendWindows([contractWindow('d1', 0, { startStampedBy: 'receiver' })]);
        expect(await store.appendWindows([contractWindow('d1', 0, { startStampedBy: 'receiver' })])).toMatchObject({ duplicates: 1 });
        const result = await store.appendWindows([contractWindow('d1', 0, { startStampedBy: 'receiver', ...change })]);
        expect(result).toMatchObject({ inserted: 1, duplicates: 0, seqResets: 1 });
        expect(await store.getAggregate('d1')).toMatchObject({ windows: 2 });
      });

      it('a device-stamped window under a stored seq that differs only in its start is a new window (seq reset)', async () => {
        await store.appendWindows([contractWindow('d1', 0)]);
        expect(await store.appendWindows([contractWindow('d1', 0, { startMs: 5_000_000 })])).toMatchObject({ inserted: 1, seqResets: 1 });
      });

      it('a receiver-stamped window identical to a stored one under the same seq is taken as a redelivery (the documented ambiguity)', async () => {
        // An idle node without a clock that reboots and re-sends a byte-identical window under a re-used seq: nothing
        // tells it from a redelivery, so it is not stored. Sending start_ms removes the ambiguity (previous test).
        await store.appendWindows([contractWindow('d1', 0, { startStampedBy: 'receiver' })]);
        expect(await store.appendWindows([contractWindow('d1', 0, { startMs: 5_000_000, startStampedBy: 'receiver' })])).toMatchObject({
          inserted: 0,
          duplicates: 1,
        });
      });

      it('re-uses a seq any number of times, within one batch too, and recognises each stored window again', async () => {
        const uses = [0, 1, 2, 3].map((boot) => contractWindow('d1', 0, { startMs: 1_000_000 + boot * 100_000, energyJ: 0.125 * (boot + 1) }));
        expect(await store.appendWindows(uses)).toMatchObject({ inserted: 4, seqResets: 3 });
        expect(await store.appendWindows([uses[2]!, uses[0]!, uses[3]!, uses[1]!])).toMatchObject({ inserted: 0, duplicates: 4 });
        expect(await store.getAggregate('d1')).toMatchObject({ windows: 4, energyJ: 1.25, maxSeq: 0 });
      });

      it('a re-used seq over time a stored window covers is refused as an overlap, not stored as a reset', async () => {
        await store.appendWindows([contractWindow('d1', 0), contractWindow('d1', 1)]);
        const result = await store.appendWindows([contractWindow('d1', 0, { startMs: 1_005_000, energyJ: 0.75 })]);
        expect(result).toMatchObject({ inserted: 0, seqResets: 0, overlaps: 1 });
        expect(await store.getAggregate('d1')).toMatchObject({ windows: 2, energyJ: 1 });
      });
    });

    describe('overlapping windows (firmware-protocol/SPEC.md §7.3)', () => {
      beforeEach(async () => {
        await store.createDevice(contractDevice('d1'));
        await store.createDevice(contractDevice('d2'));
      });

      const T = 1_000_000;
      const at = (seq: number, startMs: number, durationS: number, overrides: Partial<EnergyWindow> = {}) =>
        contractWindow('d1', seq, { startMs, durationS, energyJ: durationS / 20, ...overrides });

      it('refuses windows claiming time another window of the device claims (the issue 8 #15 example)', async () => {
        const result = await store.appendWindows([
          at(1, T, 10),
          at(2, T, 10),
          at(3, T + 5_000, 10, { energyJ: 50 }), // 100× the energy, over half of seqs 1 and 2
        ]);
        expect(result).toMatchObject({ inserted: 1, duplicates: 0, overlaps: 2, insertedByDevice: { d1: 1 } });
        expect(result.refused.map(({ index, deviceId, seq, reason }) => ({ index, deviceId, seq, reason }))).toEqual([
          { index: 1, deviceId: 'd1', seq: 2, reason: 'overlap' },
          { index: 2, deviceId: 'd1', seq: 3, reason: 'overlap' },
        ]);
        expect(result.refused[0]?.detail).toMatch(/seq 2 .* shares 10\.000 s with stored seq 1/);
        expect(await store.getAggregate('d1')).toMatchObject({ windows: 1, energyJ: 0.5, observedS: 10, maxSeq: 1, lastSeenMs: T + 10_000 });
        expect((await store.listWindows('d1', 10)).map((w) => w.seq)).toEqual([1]);
      });

      it('refuses an overlap with a window stored by an earlier batch, and keeps refusing it when it is sent again', async () => {
        await store.appendWindows([at(1, T, 10)]);
        const before = await store.getAggregate('d1');
        for (let attempt = 0; attempt < 2; attempt += 1) {
          expect(await store.appendWindows([at(2, T + 9_000 - 1, 10)])).toMatchObject({ inserted: 0, duplicates: 0, overlaps: 1 });
        }
        expect(await store.getAggregate('d1')).toEqual(before);
        // The refused seq was not stored, so it is free for a window that does not overlap.
        expect(await store.appendWindows([at(2, T + 10_000, 10)])).toMatchObject({ inserted: 1, overlaps: 0 });
      });

      it('allows neighbours to share up to min(1 s, 10 % of the shorter window)', async () => {
        const result = await store.appendWindows([
          at(0, T, 10),
          at(1, T + 10_000, 10), // touching
          at(2, T + 20_000 - 1_000, 10), // shares exactly 1 s: allowed
          at(3, T + 29_000 - 1_001, 10), // shares 1.001 s with seq 2: refused
          at(4, T + 100_000, 2),
          at(5, T + 102_000 - 200, 2), // 2 s windows: shares exactly 200 ms (10 %): allowed
          at(6, T + 103_800 - 250, 2), // shares 250 ms with seq 5: refused
        ]);
        expect(result).toMatchObject({ inserted: 5, overlaps: 2 });
        expect(result.refused.map((window) => window.seq)).toEqual([3, 6]);
      });

      it('refuses a window inside a longer stored one and a long window over shorter stored ones', async () => {
        await store.appendWindows([at(0, T, 100)]);
        await store.appendWindows([at(1, T + 200_000, 10), at(2, T + 210_000, 10), at(3, T + 220_000, 10)]);
        const result = await store.appendWindows([
          at(10, T + 50_000, 1), // inside seq 0, which starts 50 s earlier
          at(11, T + 195_000, 60), // covers seqs 1 to 3
          at(12, T + 100_000, 100), // between them: fine
        ]);
        expect(result.refused.map((window) => window.seq)).toEqual([10, 11]);
        expect(result).toMatchObject({ inserted: 1, overlaps: 2 });
        expect(await store.getAggregate('d1')).toMatchObject({ windows: 5, observedS: 230 });
      });

      it('never counts different devices, or zero-length windows, as overlapping', async () => {
        const result = await store.appendWindows([at(0, T, 10), contractWindow('d2', 0, { startMs: T, durationS: 10 }), at(1, T + 5_000, 0, { energyJ: 0 })]);
        expect(result).toMatchObject({ inserted: 3, overlaps: 0, insertedByDevice: { d1: 2, d2: 1 } });
      });

      it('never refuses receiver-stamped windows: a queued burst stamped on arrival overlaps only on the receiver clock', async () => {
        const burst = [0, 1, 2, 3, 4].map((seq) => at(seq, T + seq, 10, { startStampedBy: 'receiver' }));
        expect(await store.appendWindows(burst)).toMatchObject({ inserted: 5, overlaps: 0 });
        // Nor does a device-stamped window overlap a receiver-stamped one.
        expect(await store.appendWindows([at(5, T, 10)])).toMatchObject({ inserted: 1, overlaps: 0 });
        expect(await store.getAggregate('d1')).toMatchObject({ windows: 6, observedS: 60 });
        // A window without startStampedBy is receiver-stamped.
        const { startStampedBy: _omitted, ...unflagged } = at(6, T, 10);
        expect(await store.appendWindows([unflagged])).toMatchObject({ inserted: 1, overlaps: 0 });
        expect((await store.listWindows('d1', 10)).find((w) => w.seq === 6)?.startStampedBy).toBe('receiver');
      });

      it('a redelivered window is a duplicate, not an overlap with itself', async () => {
        await store.appendWindows([at(1, T, 10), at(2, T + 10_000, 10)]);
        expect(await store.appendWindows([at(2, T + 10_000, 10), at(1, T, 10)])).toMatchObject({ inserted: 0, duplicates: 2, overlaps: 0 });
      });

      it("with onRefusal 'refuse-batch', stores none of a batch with a refused window and lists every refusal", async () => {
        await store.appendWindows([at(1, T, 10)]);
        const before = await store.getAggregate('d1');
        const batch = [at(2, T + 10_000, 10), at(3, T + 5_000, 10), contractWindow('d2', 0), at(4, T + 10_000, 10)];
        const error = await store.appendWindows(batch, { onRefusal: 'refuse-batch' }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(WindowRefusedError);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as WindowRefusedError).refused.map(({ index, seq, reason }) => ({ index, seq, reason }))).toEqual([
          { index: 1, seq: 3, reason: 'overlap' },
          { index: 3, seq: 4, reason: 'overlap' }, // overlaps seq 2 of the same batch
        ]);
        expect((error as WindowRefusedError).details).toHaveLength(2);
        expect(await store.getAggregate('d1')).toEqual(before);
        expect(await store.getAggregate('d2')).toBeUndefined();
        expect((await store.listWindows('d1', 10)).map((w) => w.seq)).toEqual([1]);
        // Without the refused windows the batch goes through.
        expect(await store.appendWindows([batch[0]!, batch[2]!], { onRefusal: 'refuse-batch' })).toMatchObject({ inserted: 2, overlaps: 0 });
      });
    });

    describe('appendWindowGroups (group commit)', () => {
      beforeEach(async () => {
        await store.createDevice(contractDevice('d1'));
        await store.createDevice(contractDevice('d2'));
      });

      const ok = (outcome: AppendGroupOutcome | undefined) => {
        if (outcome === undefined || !outcome.ok) throw new Error(`expected a result, got ${outcome === undefined ? 'nothing' : outcome.error.message}`);
        return outcome.result;
      };

      it('judges each request as appendWindows would after the ones before it, and splits the results per request', async () => {
        await store.appendWindows([contractWindow('d1', 0)]);
        const outcomes = await store.appendWindowGroups([
          { windows: [contractWindow('d1', 0), contractWindow('d1', 1)] }, // a redelivery and a new window
          { windows: [contractWindow('d2', 0), contractWindow('d1', 1)] }, // d1#1 again: a duplicate of the request before
          { windows: [contractWindow('d1', 2, { startMs: 1_500_000 })] }, // seq 2 at a new time…
          { windows: [contractWindow('d1', 2)] }, // …and seq 2 re-used for other time: a seq reset
        ]);
        expect(outcomes.map((outcome) => ok(outcome))).toEqual([
          { inserted: 1, duplicates: 1, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: { d1: 1 } },
          { inserted: 1, duplicates: 1, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: { d2: 1 } },
          { inserted: 1, duplicates: 0, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: { d1: 1 } },
          { inserted: 1, duplicates: 0, seqResets: 1, overlaps: 0, refused: [], insertedByDevice: { d1: 1 } },
        ]);
        expect((await store.getAggregate('d1'))?.windows).toBe(4);
        expect((await store.getAggregate('d2'))?.windows).toBe(1);
      });

      it('reports a refusal in the request that holds it, indexed in that request', async () => {
        await store.appendWindows([contractWindow('d1', 0)]);
        const overlapping = contractWindow('d1', 7, { startMs: 1_005_000 });
        const outcomes = await store.appendWindowGroups([{ windows: [contractWindow('d2', 0)] }, { windows: [contractWindow('d1', 1), overlapping] }]);
        expect(ok(outcomes[0])).toMatchObject({ inserted: 1, overlaps: 0, refused: [] });
        expect(ok(outcomes[1])).toMatchObject({ inserted: 1, overlaps: 1, refused: [{ index: 1, seq: 7, reason: 'overlap' }] });
      });

      it('fails only the request that breaks a rule: refused in refuse-batch mode, an unknown device, a malformed window', async () => {
        await store.appendWindows([contractWindow('d1', 0)]);
        const outcomes = await store.appendWindowGroups([
          { windows: [contractWindow('d1', 1)] },
          { windows: [contractWindow('d2', 0), contractWindow('d1', 9, { startMs: 1_005_000 })], options: { onRefusal: 'refuse-batch' } },
          { windows: [contractWindow('d2', 1), contractWindow('ghost', 0)] },
          { windows: [contractWindow('d2', 2, { energyJ: -1 })] },
          { windows: [contractWindow('d2', 3)] },
        ]);
        expect(ok(outcomes[0]).inserted).toBe(1);
        expect(outcomes[1]).toMatchObject({ ok: false, error: expect.any(WindowRefusedError) });
        expect(outcomes[2]).toMatchObject({ ok: false, error: expect.any(NotFoundError) });
        expect(outcomes[3]).toMatchObject({ ok: false, error: expect.any(ValidationError) });
        expect(ok(outcomes[4]).inserted).toBe(1);
        // Nothing of the failed requests was stored: d2 holds only seq 3.
        expect((await store.listWindows('d2', 10)).map((window) => window.seq)).toEqual([3]);
        expect((await store.listWindows('d1', 10)).map((window) => window.seq)).toEqual([1, 0]);
        expect((await store.getAggregate('d2'))?.windows).toBe(1);
      });

      it('answers an empty group and empty requests', async () => {
        expect(await store.appendWindowGroups([])).toEqual([]);
        expect(ok((await store.appendWindowGroups([{ windows: [] }]))[0])).toMatchObject({ inserted: 0, duplicates: 0 });
      });
    });

    describe('windows by time range and series', () => {
      beforeEach(async () => {
        await store.createDevice(contractDevice('d1'));
        await store.createDevice(contractDevice('d2'));
      });

      it('lists the windows starting in [from, to), oldest first, in pages that continue after the cursor', async () => {
        // seq 0..9 start at 1 000 000 + seq·10 000; then a reboot re-uses seq 0..2 later on (seq resets).
        await store.appendWindows(Array.from({ length: 10 }, (_, seq) => contractWindow('d1', seq)));
        await store.appendWindows([0, 1, 2].map((seq) => contractWindow('d1', seq, { startMs: 2_000_000 + seq * 10_000 })));
        await store.appendWindows([contractWindow('d2', 3)]);
        const starts = (windows: readonly EnergyWindow[]) => windows.map((window) => `${window.seq}@${window.startMs}`);
        const first = await store.listWindowsInRange('d1', { fromMs: 1_020_000, toMs: 2_010_001, limit: 4 });
        expect(starts(first.windows)).toEqual(['2@1020000', '3@1030000', '4@1040000', '5@1050000']);
        expect(first.next).not.toBeNull();
        const second = await store.listWindowsInRange('d1', { fromMs: 1_020_000, toMs: 2_010_001, limit: 4, after: first.next! });
        expect(starts(second.windows)).toEqual(['6@1060000', '7@1070000', '8@1080000', '9@1090000']);
        const third = await store.listWindowsInRange('d1', { fromMs: 1_020_000, toMs: 2_010_001, limit: 4, after: second.next! });
        expect(starts(third.windows)).toEqual(['0@2000000', '1@2010000']);
        expect(third.next).toBeNull();
        expect(third.windows[0]).toEqual(contractWindow('d1', 0, { startMs: 2_000_000 }));
        expect((await store.listWindowsInRange('d1', { fromMs: 0, toMs: 1_000_000, limit: 10 })).windows).toEqual([]);
        await expect(store.listWindowsInRange('d1', { fromMs: 5, toMs: 4, limit: 10 })).rejects.toBeInstanceOf(ValidationError);
      });

      it('a page ending exactly at the last window has no cursor', async () => {
        await store.appendWindows([contractWindow('d1', 0), contractWindow('d1', 1)]);
        expect((await store.listWindowsInRange('d1', { fromMs: 0, toMs: 2_000_000, limit: 2 })).next).toBeNull();
      });

      it('sums windows per bucket of their start: energy, observed time, inferences, power extremes; empty buckets left out', async () => {
        await store.appendWindows([
          contractWindow('d1', 0, { minPowerW: 0.01, maxPowerW: 0.2 }), // 1 000 000
          contractWindow('d1', 1), // 1 010 000
          contractWindow('d1', 2, { minPowerW: null, maxPowerW: null }), // 1 020 000
          contractWindow('d1', 9), // 1 090 000
        ]);
        await store.appendWindows([contractWindow('d2', 0)]);
        expect(await store.windowSeries('d1', { fromMs: 1_000_000, toMs: 1_100_000, stepMs: 30_000 })).toEqual([
          { startMs: 1_000_000, windows: 3, energyJ: 1.5, observedS: 30, inferences: 9, minPowerW: 0.01, maxPowerW: 0.2 },
          { startMs: 1_090_000, windows: 1, energyJ: 0.5, observedS: 10, inferences: 3, minPowerW: 0.025, maxPowerW: 0.125 },
        ]);
        expect(await store.windowSeries('d1', { fromMs: 1_010_000, toMs: 1_020_000, stepMs: 1 })).toEqual([
          { startMs: 1_010_000, windows: 1, energyJ: 0.5, observedS: 10, inferences: 3, minPowerW: 0.025, maxPowerW: 0.125 },
        ]);
        await expect(store.windowSeries('d1', { fromMs: 0, toMs: 1, stepMs: 0 })).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('listDevicesWithAggregates', () => {
      it('returns every device in id order with its aggregate, undefined for devices without windows', async () => {
        for (const [id, fleet] of [
          ['c', 'north'],
          ['a', 'north'],
          ['b', null],
          ['d', 'south'],
        ] as const) {
          await store.createDevice(contractDevice(id, { fleet }));
        }
        await store.appendWindows([contractWindow('c', 0, { energyJ: 4 }), contractWindow('a', 0), contractWindow('a', 1)]);

        const all = await store.listDevicesWithAggregates({ limit: 100, offset: 0 });
        expect(all.map((entry) => entry.device.id)).toEqual(['a', 'b', 'c', 'd']);
        for (const entry of all) {
          expect(entry.device).toEqual(await store.getDevice(entry.device.id));
          expect(entry.aggregate).toEqual(await store.getAggregate(entry.device.id));
        }
        expect(all[0]?.aggregate).toMatchObject({ deviceId: 'a', energyJ: 1, windows: 2 });
        expect(all[1]?.aggregate).toBeUndefined();
        expect(all[2]?.aggregate).toMatchObject({ deviceId: 'c', energyJ: 4, windows: 1 });
        expect(all[3]?.aggregate).toBeUndefined();

        const page = await store.listDevicesWithAggregates({ limit: 2, offset: 1 });
        expect(page.map((entry) => [entry.device.id, entry.aggregate?.windows])).toEqual([
          ['b', undefined],
          ['c', 1],
        ]);
        const north = await store.listDevicesWithAggregates({ limit: 100, offset: 0, fleet: 'north' });
        expect(north.map((entry) => [entry.device.id, entry.aggregate?.energyJ])).toEqual([
          ['a', 1],
          ['c', 4],
        ]);
        expect(await store.listDevicesWithAggregates({ limit: 100, offset: 0, fleet: 'east' })).toEqual([]);
      });

      it('pages by key with afterId: the devices after that id, in id order, with or without a fleet', async () => {
        for (const [id, fleet] of [
          ['c', 'north'],
          ['a', 'north'],
          ['b', null],
          ['d', 'south'],
          ['e', 'north'],
        ] as const) {
          await store.createDevice(contractDevice(id, { fleet }));
        }
        await store.appendWindows([contractWindow('c', 0, { energyJ: 4 })]);
        const ids = (entries: { device: { id: string } }[]) => entries.map((entry) => entry.device.id);
        expect(ids(await store.listDevicesWithAggregates({ limit: 2, offset: 0, afterId: 'a' }))).toEqual(['b', 'c']);
        expect(ids(await store.listDevicesWithAggregates({ limit: 100, offset: 0, afterId: 'c' }))).toEqual(['d', 'e']);
        expect(ids(await store.listDevicesWithAggregates({ limit: 100, offset: 0, afterId: 'bb' }))).toEqual(['c', 'd', 'e']);
        expect(ids(await store.listDevicesWithAggregates({ limit: 100, offset: 0, afterId: 'e' }))).toEqual([]);
        expect(ids(await store.listDevicesWithAggregates({ limit: 100, offset: 0, afterId: 'a', fleet: 'north' }))).toEqual(['c', 'e']);
        const [c] = await store.listDevicesWithAggregates({ limit: 1, offset: 0, afterId: 'b' });
        expect(c?.aggregate).toMatchObject({ deviceId: 'c', energyJ: 4, windows: 1 });
      });
    });

    describe('after close', () => {
      it('rejects every method with StoreClosedError', async () => {
        await store.createDevice(contractDevice('d1'));
        await store.close();
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['createDevice', () => store.createDevice(contractDevice('d2'))],
          ['updateDevice', () => store.updateDevice('d1', { name: 'x' })],
          ['ensureDevice', () => store.ensureDevice(contractDevice('d1'))],
          ['createDevices', () => store.createDevices([contractDevice('d3')])],
          ['getDevice', () => store.getDevice('d1')],
          ['listDevices', () => store.listDevices({ limit: 10, offset: 0 })],
          ['countDevices', () => store.countDevices()],
          ['appendWindows', () => store.appendWindows([contractWindow('d1', 0)])],
          ['appendWindows (empty)', () => store.appendWindows([])],
          ['appendWindowGroups', () => store.appendWindowGroups([{ windows: [contractWindow('d1', 0)] }])],
          ['getAggregate', () => store.getAggregate('d1')],
          ['listWindows', () => store.listWindows('d1', 10)],
          ['listWindowsInRange', () => store.listWindowsInRange('d1', { fromMs: 0, toMs: 1, limit: 1 })],
          ['windowSeries', () => store.windowSeries('d1', { fromMs: 0, toMs: 1, stepMs: 1 })],
          ['listDevicesWithAggregates', () => store.listDevicesWithAggregates({ limit: 10, offset: 0 })],
          ['close', () => store.close()],
        ];
        for (const [label, call] of calls) {
          await expect(call(), label).rejects.toBeInstanceOf(StoreClosedError);
        }
      });
    });
  });
}
