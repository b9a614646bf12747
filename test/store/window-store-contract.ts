/**
 * The behaviour every WindowStore implementation must have, checked against the capabilities it declares (nothing
 * skipped: a capability an implementation lacks is declared, and the declared behaviour is what is checked).
 * Call `windowStoreContract(name, makeHarness)`; `makeHarness` returns a fresh, empty, open store, a way to register
 * devices where the store needs it, and (networked stores) one pointed at an address nobody answers.
 * Numbers are exact in binary floating point, so sums compare with toEqual.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreClosedError, StoreUnavailableError } from '../../src/domain/errors.js';
import type { DeviceAggregate } from '../../src/domain/types.js';
import { addWindow, EMPTY_WINDOW_TOTALS, type WindowTotals } from '../../src/domain/window-totals.js';
import type { StoredWindow, WindowStore } from '../../src/store/window-store.js';
import { waitFor } from '../helpers/wait-for.js';
import { contractWindow } from './store-contract.js';

export interface WindowStoreHarness {
  windows: WindowStore;
  /** Register the devices the test writes for (a store keeping a registry needs them first); no-op elsewhere. */
  registerDevices(ids: readonly string[]): Promise<void>;
  /** Networked stores: the same store configured for an address where nothing listens. */
  unreachable?: () => WindowStore;
  cleanup?: () => Promise<void>;
}

export function storedWindow(deviceId: string, seq: number, overrides: Partial<StoredWindow> = {}): StoredWindow {
  return { ...contractWindow(deviceId, seq), seqUse: 0, ...overrides };
}

/** What the windows add up to, per device: the one merge (domain/window-totals.ts) every store must agree with. */
export function expectedAggregates(windows: readonly StoredWindow[]): Map<string, DeviceAggregate> {
  const totals = new Map<string, WindowTotals>();
  for (const window of windows) totals.set(window.deviceId, addWindow(totals.get(window.deviceId) ?? EMPTY_WINDOW_TOTALS, window));
  return new Map([...totals].map(([deviceId, total]) => [deviceId, { deviceId, ...total }]));
}

export function windowStoreContract(name: string, makeHarness: () => Promise<WindowStoreHarness>): void {
  describe(`WindowStore contract: ${name}`, () => {
    let harness: WindowStoreHarness;
    let store: WindowStore;

    beforeEach(async () => {
      harness = await makeHarness();
      store = harness.windows;
    });

    afterEach(async () => {
      try {
        await store.close();
      } catch (error) {
        if (!(error instanceof StoreClosedError)) throw error;
      }
      await harness.cleanup?.();
    });

    /** Reads as the declared capability promises: at once (`immediate`), or within maxReadLagMs (`eventual`). */
    async function readBack(ids: readonly string[], expected: Map<string, DeviceAggregate>): Promise<void> {
      const { readAfterWrite, maxReadLagMs } = store.capabilities;
      if (readAfterWrite === 'immediate') {
        expect(await store.aggregates(ids)).toEqual(expected);
        return;
      }
      let last: Map<string, DeviceAggregate> = new Map();
      await waitFor(
        `aggregates within ${maxReadLagMs} ms of the write`,
        async () => {
          last = await store.aggregates(ids);
          return JSON.stringify([...last].sort()) === JSON.stringify([...expected].sort());
        },
        { timeoutMs: maxReadLagMs },
      ).catch(() => undefined);
      expect(last).toEqual(expected);
    }

    it('declares consistent capabilities', () => {
      const { readAfterWrite, maxReadLagMs, networked } = store.capabilities;
      if (readAfterWrite === 'immediate') expect(maxReadLagMs).toBe(0);
      else expect(maxReadLagMs).toBeGreaterThan(0);
      // A networked store is tested against an unreachable address too; a local one has none to offer.
      expect(harness.unreachable !== undefined).toBe(networked);
    });

    it('sums written windows per device as the one merge does (min/max absent, instruments, inference spans)', async () => {
      await harness.registerDevices(['a', 'b']);
      const windows = [
        storedWindow('a', 0),
        storedWindow('a', 1, { minPowerW: null, maxPowerW: null, energyJ: 0.25, instrument: 'ppk2' }),
        storedWindow('a', 2, { span: 'inferences', inferenceCount: 8, instrument: 'js220', energyJ: 1.5, durationS: 2.5 }),
        storedWindow('b', 7, { startStampedBy: 'receiver', source: 'serial:/dev/ttyACM0', minPowerW: 0.0625, maxPowerW: 0.5 }),
      ];
      await store.writeWindows(windows);
      await readBack(['a', 'b'], expectedAggregates(windows));
    });

    it('keeps one point per window written twice, alone or inside a later batch', async () => {
      await harness.registerDevices(['a']);
      const windows = [0, 1, 2, 3].map((seq) => storedWindow('a', seq));
      await store.writeWindows(windows.slice(0, 3));
      await store.writeWindows(windows.slice(0, 3));
      await store.writeWindows(windows.slice(1)); // 1 and 2 again, 3 new
      await readBack(['a'], expectedAggregates(windows));
    });

    it('keeps both windows of a re-used seq (a reboot: another start, another content)', async () => {
      await harness.registerDevices(['a']);
      const windows = [storedWindow('a', 0), storedWindow('a', 1), storedWindow('a', 0, { startMs: 5_000_000, energyJ: 2, seqUse: 1 })];
      await store.writeWindows(windows);
      await readBack(['a'], expectedAggregates(windows));
    });

    it('keeps receiver-stamped windows apart that start in the same millisecond', async () => {
      await harness.registerDevices(['a']);
      const windows = [0, 1, 2].map((seq) => storedWindow('a', seq, { startMs: 2_000_000, startStampedBy: 'receiver', source: 'serial:/dev/ttyACM0' }));
      await store.writeWindows(windows);
      await readBack(['a'], expectedAggregates(windows));
    });

    it('reads the aggregates of many devices in one call, leaving out devices without windows', async () => {
      const ids = Array.from({ length: 1_200 }, (_, index) => `dev-${String(index).padStart(4, '0')}`);
      await harness.registerDevices(ids);
      const written = ids.filter((_, index) => index % 3 !== 0);
      const windows = written.flatMap((id, index) => [storedWindow(id, 0), storedWindow(id, 1, { energyJ: index % 7 })]);
      await store.writeWindows(windows);
      await readBack([...ids, 'never-registered'], expectedAggregates(windows));
    });

    it('reads the instruments of many devices in one call, where only some have instrumented windows', async () => {
      // Instrumented devices in every request of the read (500 ids each), one with two instruments, the others without.
      const ids = Array.from({ length: 1_200 }, (_, index) => `ins-${String(index).padStart(4, '0')}`);
      await harness.registerDevices(ids);
      const windows = ids.flatMap((id, index) => {
        if (index % 97 === 0) return [storedWindow(id, 0, { instrument: 'ppk2' }), storedWindow(id, 1, { instrument: 'js220' }), storedWindow(id, 2)];
        if (index % 5 === 0) return [storedWindow(id, 0), storedWindow(id, 1, { instrument: 'lpm01a' })];
        return [storedWindow(id, 0)];
      });
      await store.writeWindows(windows);
      await readBack(ids, expectedAggregates(windows));
    });

    it('reads nothing for no devices', async () => {
      expect(await store.aggregates([])).toEqual(new Map());
    });

    it('throws StoreClosedError after close', async () => {
      await store.close();
      await expect(store.writeWindows([storedWindow('a', 0)])).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.aggregates(['a'])).rejects.toBeInstanceOf(StoreClosedError);
    });

    it('maps an unreachable server to StoreUnavailableError (networked stores; local stores declare networked: false)', async () => {
      if (!store.capabilities.networked) {
        expect(harness.unreachable).toBeUndefined();
        return;
      }
      const unreachable = (harness.unreachable as () => WindowStore)();
      try {
        await expect(unreachable.writeWindows([storedWindow('a', 0)])).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(unreachable.aggregates(['a'])).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await unreachable.close();
      }
    });
  });
}
