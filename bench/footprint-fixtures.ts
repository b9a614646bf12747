/** What the in-process footprint benches share: a device's aggregate of two 10 s windows at one power, and a median. */
import type { DeviceAggregate } from '../src/domain/types.js';

/** The benches' clock: windows start here. */
export const BENCH_T0_MS = Date.parse('2026-11-01T00:00:00Z');

/** Two 10 s windows of `deviceId` at `powerW`, the first at BENCH_T0_MS. */
export function twoWindowAggregate(deviceId: string, powerW: number): DeviceAggregate {
  return {
    deviceId,
    energyJ: powerW * 20,
    observedS: 20,
    windows: 2,
    samples: 2_000,
    inferences: 10,
    minPowerW: powerW / 2,
    maxPowerW: powerW * 3,
    maxSeq: 1,
    firstSeenMs: BENCH_T0_MS,
    lastSeenMs: BENCH_T0_MS + 10_000,
    energySquaresJ2: (powerW * 10) ** 2 * 2,
    energyDurationJS: powerW * 10 * 10 * 2,
    durationSquaresS2: 200,
    inferenceSpanWindows: 0,
    instruments: [],
    instrumentedS: 0,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
