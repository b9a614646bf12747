import { describe, expect, it } from 'vitest';
import type { EnergyWindow } from '../../src/domain/types.js';
import { addWindow, EMPTY_WINDOW_TOTALS } from '../../src/domain/window-totals.js';
import { MeasurementTally } from '../../src/ingest/serial/measurement-tally.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const T0 = Date.UTC(2026, 0, 1);
const window = (seq: number, patch: Partial<EnergyWindow> = {}): EnergyWindow => ({
  deviceId: 'd',
  seq,
  startMs: T0 + seq * 10_000,
  durationS: 10,
  energyJ: 0.25,
  sampleCount: 1_000,
  minPowerW: 0.02,
  maxPowerW: 0.03,
  inferenceCount: 4,
  source: 't',
  ...patch,
});

describe('addWindow (the one aggregate merge)', () => {
  it('sums energy, time and counts, and keeps the extremes, the highest seq, the first start and the last end', () => {
    const windows = [window(3), window(1, { minPowerW: 0.01, energyJ: 0.15 }), window(7, { maxPowerW: 0.09, durationS: 5 })];
    const totals = windows.reduce(addWindow, EMPTY_WINDOW_TOTALS);
    expect(totals).toEqual({
      energyJ: 0.65,
      observedS: 25,
      windows: 3,
      samples: 3_000,
      inferences: 12,
      minPowerW: 0.01,
      maxPowerW: 0.09,
      maxSeq: 7,
      firstSeenMs: T0 + 10_000,
      lastSeenMs: T0 + 70_000 + 5_000,
      energySquaresJ2: 0.25 ** 2 + 0.15 ** 2 + 0.25 ** 2,
      energyDurationJS: 0.25 * 10 + 0.15 * 10 + 0.25 * 5,
      durationSquaresS2: 100 + 100 + 25,
      inferenceSpanWindows: 0,
      instruments: [],
      instrumentedS: 0,
    });
  });

  it('takes a null power as no information, and leaves its input alone', () => {
    const first = addWindow(EMPTY_WINDOW_TOTALS, window(0, { minPowerW: null, maxPowerW: null }));
    expect(first).toMatchObject({ minPowerW: null, maxPowerW: null, windows: 1 });
    const second = addWindow(first, window(1));
    expect(second).toMatchObject({ minPowerW: 0.02, maxPowerW: 0.03, windows: 2 });
    expect(addWindow(second, window(2, { minPowerW: null, maxPowerW: null }))).toMatchObject({ minPowerW: 0.02, maxPowerW: 0.03 });
    expect(first.windows).toBe(1);
    expect(EMPTY_WINDOW_TOTALS.windows).toBe(0);
    expect(addWindow(EMPTY_WINDOW_TOTALS, { ...window(0), seq: undefined }).maxSeq).toBeNull(); // a serial draft has no seq yet
  });

  it('gives the SQLite aggregate and the measure tally the same totals for the same windows', async () => {
    const windows = [window(0), window(1, { minPowerW: null }), window(2, { maxPowerW: 0.5, energyJ: 4 })];
    const store = SqliteStore.open(':memory:');
    await store.createDevice({ id: 'd', spec: SEED_DEFAULT_SPEC });
    await store.appendWindows(windows.slice(0, 2));
    await store.appendWindows(windows.slice(2)); // two transactions: the delta merged into the stored row
    const tally = new MeasurementTally(null);
    await tally.submitWindows(windows);
    const { deviceId: _deviceId, ...stored } = (await store.getAggregate('d'))!;
    const t = tally.totals;
    expect({
      energyJ: t.energyJ,
      observedS: t.coveredS,
      windows: t.windows,
      samples: t.samples,
      inferences: t.inferences,
      minPowerW: t.minPowerW,
      maxPowerW: t.maxPowerW,
    }).toEqual({
      energyJ: stored.energyJ,
      observedS: stored.observedS,
      windows: stored.windows,
      samples: stored.samples,
      inferences: stored.inferences,
      minPowerW: stored.minPowerW,
      maxPowerW: stored.maxPowerW,
    });
    expect(stored).toEqual(windows.reduce(addWindow, EMPTY_WINDOW_TOTALS));
    await store.close();
  });
});
