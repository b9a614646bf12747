/**
 * Running totals over energy windows, the one merge behind every aggregate: a store's per-device aggregate (SQLite's
 * delta per transaction, and the InfluxDB store to come) and `measure`'s live tally. Pure.
 */
import type { DeviceAggregate, EnergyWindow } from './types.js';

/** A DeviceAggregate without its device: what any set of windows adds up to. */
export type WindowTotals = Omit<DeviceAggregate, 'deviceId'>;

/** The totals of no window. */
export const EMPTY_WINDOW_TOTALS: Readonly<WindowTotals> = Object.freeze({
  energyJ: 0,
  observedS: 0,
  windows: 0,
  samples: 0,
  inferences: 0,
  minPowerW: null,
  maxPowerW: null,
  maxSeq: null,
  firstSeenMs: null,
  lastSeenMs: null,
});

/** What a window contributes (its seq is optional: a serial window draft has none yet). */
export type TotalledWindow = Pick<EnergyWindow, 'startMs' | 'durationS' | 'energyJ' | 'sampleCount' | 'minPowerW' | 'maxPowerW' | 'inferenceCount'> & {
  seq?: number;
};

/**
 * `totals` with `window` added: sums, the extremes of min/max power (a null power is no information, not a
 * zero), the highest seq, the first start and the last end. Returns a new object.
 */
export function addWindow(totals: Readonly<WindowTotals>, window: TotalledWindow): WindowTotals {
  const endMs = window.startMs + window.durationS * 1000;
  return {
    energyJ: totals.energyJ + window.energyJ,
    observedS: totals.observedS + window.durationS,
    windows: totals.windows + 1,
    samples: totals.samples + window.sampleCount,
    inferences: totals.inferences + window.inferenceCount,
    minPowerW: nullableExtreme(Math.min, totals.minPowerW, window.minPowerW),
    maxPowerW: nullableExtreme(Math.max, totals.maxPowerW, window.maxPowerW),
    maxSeq: nullableExtreme(Math.max, totals.maxSeq, window.seq ?? null),
    firstSeenMs: nullableExtreme(Math.min, totals.firstSeenMs, window.startMs),
    lastSeenMs: nullableExtreme(Math.max, totals.lastSeenMs, endMs),
  };
}

/** min or max of two values of which either may be absent (null): the other one then. */
function nullableExtreme(pick: (a: number, b: number) => number, a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return pick(a, b);
}
