/**
 * The canonical aggregate of a device in InfluxDB (docs/influxdb-schema.md § Aggregates): a left fold, in period order,
 * of the per-period partial aggregates influxd computes (`GROUP BY time(AGGREGATE_PERIOD_MS)`). Sums are added as
 * doubles in period order, counts added, minima and maxima combined, instruments unioned. A left fold resumed from a
 * kept prefix performs exactly the additions of the fold from the start, in the same order, so it gives the same bits:
 * every instance answers the same numbers whichever period it resumed from. Float addition is not associative, and
 * nothing here assumes it. Pure.
 */
import type { InstrumentId } from '../../domain/instruments.js';
import type { DeviceAggregate } from '../../domain/types.js';
import { mergeInstruments } from '../../domain/window-totals.js';

/**
 * The length of one partial aggregate (ms): 1 h. A changed device's re-read covers the periods from the oldest one its
 * change reaches (never before the second-newest one it read before), so at one window per 10 s it scans at most about 2 h of points (≤ 720) whatever its history; a
 * full read (a fresh instance, the retention sweep) returns one row per device-hour with windows (720 for 30 days).
 * Measured at 5 000 points per device (bench/influx-sync-history.ts, as ratios to the single full sum() read before):
 * 10 min: tail 0.17×, full read 1.6×; 1 h: tail 0.22×, full 1.13×; 4 h: tail 0.5×, full 1.0× (docs/influxdb-schema.md
 * § Aggregates). It divides InfluxDB's shard group durations (1 h … 7 d), so a period never spans two shards.
 */
export const AGGREGATE_PERIOD_MS = 3_600_000;

/** The start of the period holding `timeMs` (a point's time: its window's start, docs/influxdb-schema.md § Timestamp). */
export function periodOf(timeMs: number): number {
  return Math.floor(timeMs / AGGREGATE_PERIOD_MS) * AGGREGATE_PERIOD_MS;
}

/**
 * One period's partial aggregate of one device, as influxd answers it: the aggregate's fields over that period's
 * points, without the device (the caller's) and the instruments' names (read apart, only when some window has one).
 */
export interface PeriodPart extends Omit<DeviceAggregate, 'deviceId' | 'instruments'> {
  /** The period's start (ms since 1970, a multiple of AGGREGATE_PERIOD_MS). */
  periodMs: number;
  /** Windows with an instrument in the period. */
  instrumentWindows: number;
}

const extreme = (pick: (a: number, b: number) => number, a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : pick(a, b));

/**
 * `prefix` (the fold of the periods before the first part, or undefined: none) folded with `parts`, which must be in
 * period order and of later periods than the prefix's, with `instruments` (the instruments named by the parts'
 * windows) unioned in. Undefined when there is neither a prefix nor a part (a device without windows).
 */
export function foldParts(
  deviceId: string,
  prefix: DeviceAggregate | undefined,
  parts: readonly PeriodPart[],
  instruments: readonly InstrumentId[] = [],
): DeviceAggregate | undefined {
  let acc = prefix === undefined ? undefined : { ...prefix };
  for (const part of parts) {
    if (acc === undefined) {
      // The first period: its own values, not 0 + them (which would turn a −0 into 0), so that every fold agrees.
      acc = {
        deviceId,
        energyJ: part.energyJ,
        observedS: part.observedS,
        windows: part.windows,
        samples: part.samples,
        inferences: part.inferences,
        minPowerW: part.minPowerW,
        maxPowerW: part.maxPowerW,
        maxSeq: part.maxSeq,
        firstSeenMs: part.firstSeenMs,
        lastSeenMs: part.lastSeenMs,
        energySquaresJ2: part.energySquaresJ2,
        energyDurationJS: part.energyDurationJS,
        durationSquaresS2: part.durationSquaresS2,
        inferenceSpanWindows: part.inferenceSpanWindows,
        instruments: [],
        instrumentedS: part.instrumentedS,
      };
      continue;
    }
    acc.energyJ += part.energyJ;
    acc.observedS += part.observedS;
    acc.windows += part.windows;
    acc.samples += part.samples;
    acc.inferences += part.inferences;
    acc.minPowerW = extreme(Math.min, acc.minPowerW, part.minPowerW);
    acc.maxPowerW = extreme(Math.max, acc.maxPowerW, part.maxPowerW);
    acc.maxSeq = extreme(Math.max, acc.maxSeq, part.maxSeq);
    acc.firstSeenMs = extreme(Math.min, acc.firstSeenMs, part.firstSeenMs);
    acc.lastSeenMs = extreme(Math.max, acc.lastSeenMs, part.lastSeenMs);
    acc.energySquaresJ2 += part.energySquaresJ2;
    acc.energyDurationJS += part.energyDurationJS;
    acc.durationSquaresS2 += part.durationSquaresS2;
    acc.inferenceSpanWindows += part.inferenceSpanWindows;
    acc.instrumentedS += part.instrumentedS;
  }
  if (acc !== undefined && instruments.length > 0) acc.instruments = mergeInstruments(acc.instruments, instruments);
  return acc;
}
