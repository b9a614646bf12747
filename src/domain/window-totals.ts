/**
 * Running totals over energy windows, the one merge behind every aggregate: a store's per-device aggregate (SQLite's
 * delta per transaction, and the InfluxDB store to come) and `measure`'s live tally. Pure.
 */
import { INSTRUMENT_IDS, type InstrumentId } from './instruments.js';
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
  energySquaresJ2: 0,
  energyDurationJS: 0,
  durationSquaresS2: 0,
  inferenceSpanWindows: 0,
  instruments: [],
  instrumentedS: 0,
});

/** What a window contributes (its seq is optional: a serial window draft has none yet). */
export type TotalledWindow = Pick<EnergyWindow, 'startMs' | 'durationS' | 'energyJ' | 'sampleCount' | 'minPowerW' | 'maxPowerW' | 'inferenceCount'> & {
  seq?: number;
  instrument?: InstrumentId | undefined;
  span?: EnergyWindow['span'];
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
    energySquaresJ2: totals.energySquaresJ2 + window.energyJ * window.energyJ,
    energyDurationJS: totals.energyDurationJS + window.energyJ * window.durationS,
    durationSquaresS2: totals.durationSquaresS2 + window.durationS * window.durationS,
    inferenceSpanWindows: totals.inferenceSpanWindows + (window.span === 'inferences' ? 1 : 0),
    instruments: window.instrument === undefined ? totals.instruments : mergeInstruments(totals.instruments, [window.instrument]),
    instrumentedS: totals.instrumentedS + (window.instrument === undefined ? 0 : window.durationS),
  };
}

/** The union of two instrument lists, in INSTRUMENT_IDS order (a stable, comparable list). */
export function mergeInstruments(a: readonly InstrumentId[], b: readonly InstrumentId[]): InstrumentId[] {
  return INSTRUMENT_IDS.filter((id) => a.includes(id) || b.includes(id));
}

/** min or max of two values of which either may be absent (null): the other one then. */
function nullableExtreme(pick: (a: number, b: number) => number, a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return pick(a, b);
}
