/**
 * Two writers on one SQLite file (two stores in this process, or two processes): the windows they race on and the
 * check that each unique (device, seq) was stored exactly once with the right aggregate.
 */
import { expect } from 'vitest';
import type { AppendResult, EnergyWindow } from '../../src/domain/types.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { contractDevice, contractWindow } from './store-contract.js';

export interface ConcurrentWriters {
  DEVICES: readonly string[];
  batches(seqs: number[], size: number): EnergyWindow[][];
  range(from: number, to: number): number[];
  /** Registers DEVICES in the database file. */
  setUp(): Promise<void>;
  /** Every unique (device, seq) inserted once, aggregates and window lists as if each was written once. */
  checkTotals(unique: number[], results: AppendResult[]): Promise<void>;
}

/** `file` is read when a helper runs (the test's beforeEach sets it). */
export function concurrentWriters(file: () => string): ConcurrentWriters {
  const DEVICES = ['c1', 'c2', 'c3'];
  /** Same seq → same values, so the expected totals are defined by the set of unique (device, seq). */
  const windowOf = (deviceId: string, seq: number): EnergyWindow =>
    contractWindow(deviceId, seq, { energyJ: (seq % 8) * 0.125, durationS: 1 + (seq % 4), sampleCount: seq % 5 });

  function expectedTotals(seqs: Iterable<number>): { energyJ: number; observedS: number; samples: number; windows: number } {
    let energyJ = 0;
    let observedS = 0;
    let samples = 0;
    let windows = 0;
    for (const seq of seqs) {
      const window = windowOf('x', seq);
      energyJ += window.energyJ;
      observedS += window.durationS;
      samples += window.sampleCount;
      windows += 1;
    }
    return { energyJ, observedS, samples, windows };
  }

  function batches(seqs: number[], size: number): EnergyWindow[][] {
    const out: EnergyWindow[][] = [];
    for (let i = 0; i < seqs.length; i += size) {
      out.push(seqs.slice(i, i + size).flatMap((seq) => DEVICES.map((deviceId) => windowOf(deviceId, seq))));
    }
    return out;
  }

  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

  async function setUp(): Promise<void> {
    const store = SqliteStore.open(file());
    for (const id of DEVICES) await store.createDevice(contractDevice(id));
    await store.close();
  }

  async function checkTotals(unique: number[], results: AppendResult[]): Promise<void> {
    const sum = results.reduce((acc, r) => ({ inserted: acc.inserted + r.inserted, duplicates: acc.duplicates + r.duplicates }), {
      inserted: 0,
      duplicates: 0,
    });
    expect(sum.inserted).toBe(unique.length * DEVICES.length);
    const store = SqliteStore.open(file());
    const totals = expectedTotals(unique);
    for (const id of DEVICES) {
      expect(await store.getAggregate(id)).toMatchObject({
        ...totals,
        maxSeq: Math.max(...unique),
        firstSeenMs: contractWindow(id, Math.min(...unique)).startMs,
      });
      expect((await store.listWindows(id, 10_000)).map((w) => w.seq)).toEqual([...unique].sort((a, b) => b - a));
    }
    await store.close();
  }

  return { DEVICES, batches, range, setUp, checkTotals };
}
