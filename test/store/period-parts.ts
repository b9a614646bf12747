import { AGGREGATE_PERIOD_MS, type PeriodPart } from '../../src/store/influx/aggregate-fold.js';

/** One window's hourly part in period `n` (1 J over 10 s at 0.1 W): the shared-store tests override what they vary. */
export function onePart(n: number): PeriodPart {
  return {
    periodMs: n * AGGREGATE_PERIOD_MS,
    energyJ: 1,
    observedS: 10,
    windows: 1,
    samples: 100,
    inferences: 0,
    minPowerW: 0.1,
    maxPowerW: 0.1,
    maxSeq: 0,
    firstSeenMs: n * AGGREGATE_PERIOD_MS,
    lastSeenMs: n * AGGREGATE_PERIOD_MS + 10_000,
    energySquaresJ2: 1,
    energyDurationJS: 10,
    durationSquaresS2: 100,
    inferenceSpanWindows: 0,
    instrumentedS: 0,
    instrumentWindows: 0,
  };
}
