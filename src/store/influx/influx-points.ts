/**
 * A stored window as an InfluxDB point, and the point's identity (docs/influxdb-schema.md): measurement
 * `energy_window`, tags `device` and `stamp`, timestamp floor(start_ms)·10⁶ + (seq mod 10⁶) ns, so a window written
 * twice is the same point. Pure.
 */
import { FieldType, type IPoint, type ISchemaOptions } from 'influx';
import { startStamp } from '../../domain/window-identity.js';
import type { StoredWindow } from '../window-store.js';

export const WINDOW_MEASUREMENT = 'energy_window';
/** Sub-millisecond digits of the timestamp that carry the seq (10⁶ ns per ms). */
const NS_PER_MS = 1_000_000;

/** The field types the client must write (integers with an `i`, so InfluxDB never sees one field with two types). */
export const WINDOW_SCHEMA: Readonly<ISchemaOptions> = Object.freeze({
  measurement: WINDOW_MEASUREMENT,
  tags: ['device', 'stamp'],
  fields: {
    energy_j: FieldType.FLOAT,
    duration_s: FieldType.FLOAT,
    start_ms: FieldType.FLOAT,
    end_ms: FieldType.FLOAT,
    seq: FieldType.INTEGER,
    seq_use: FieldType.INTEGER,
    samples: FieldType.INTEGER,
    inferences: FieldType.INTEGER,
    min_power_w: FieldType.FLOAT,
    max_power_w: FieldType.FLOAT,
    energy_sq_j2: FieldType.FLOAT,
    energy_duration_js: FieldType.FLOAT,
    duration_sq_s2: FieldType.FLOAT,
    inference_span: FieldType.INTEGER,
    instrument: FieldType.STRING,
    instrumented_s: FieldType.FLOAT,
    source: FieldType.STRING,
  },
});

/** The point's timestamp in ns, as a decimal string (ns since 1970 exceed 2⁵³: no JS number holds them exactly). */
export function windowTimestampNs(window: Pick<StoredWindow, 'startMs' | 'seq'>): string {
  const ms = Math.floor(window.startMs);
  const seqDigits = String(window.seq % NS_PER_MS).padStart(6, '0');
  return `${ms}${seqDigits}`;
}

export function windowPoint(window: StoredWindow): IPoint {
  const fields: Record<string, number | string> = {
    energy_j: window.energyJ,
    duration_s: window.durationS,
    start_ms: window.startMs,
    end_ms: window.startMs + window.durationS * 1000,
    seq: window.seq,
    seq_use: window.seqUse,
    samples: window.sampleCount,
    inferences: window.inferenceCount,
    energy_sq_j2: window.energyJ * window.energyJ,
    energy_duration_js: window.energyJ * window.durationS,
    duration_sq_s2: window.durationS * window.durationS,
    inference_span: window.span === 'inferences' ? 1 : 0,
    instrumented_s: window.instrument === undefined ? 0 : window.durationS,
    source: window.source,
  };
  if (window.minPowerW !== null) fields.min_power_w = window.minPowerW;
  if (window.maxPowerW !== null) fields.max_power_w = window.maxPowerW;
  if (window.instrument !== undefined) fields.instrument = window.instrument;
  return {
    measurement: WINDOW_MEASUREMENT,
    tags: { device: window.deviceId, stamp: startStamp(window) },
    fields,
    timestamp: windowTimestampNs(window),
  };
}

/**
 * The change feed (docs/influxdb-schema.md § Change markers): after each acknowledged write of windows, one point per
 * device of the batch, in a retention policy of its own, so that a fleet sync reads again only the devices written
 * since its last look.
 */
export const CHANGE_MEASUREMENT = 'window_change';

export const CHANGE_SCHEMA: Readonly<ISchemaOptions> = Object.freeze({
  measurement: CHANGE_MEASUREMENT,
  tags: ['device', 'writer'],
  fields: { windows: FieldType.INTEGER },
});

/**
 * One marker per device of the batch, with the number of its windows the write carried. No timestamp: influxd stamps
 * each with its own receive time, so every marker is on one clock (influxd's), whichever instance wrote it.
 */
export function changePoints(windows: readonly StoredWindow[], writerId: string): IPoint[] {
  const counts = new Map<string, number>();
  for (const window of windows) counts.set(window.deviceId, (counts.get(window.deviceId) ?? 0) + 1);
  return [...counts].map(([device, count]) => ({ measurement: CHANGE_MEASUREMENT, tags: { device, writer: writerId }, fields: { windows: count } }));
}
