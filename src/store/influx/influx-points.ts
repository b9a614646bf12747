/**
 * A stored window as an InfluxDB point, and the point's identity (docs/influxdb-schema.md): measurement
 * `energy_window`, tags `device` and `stamp`, timestamp floor(start_ms)·10⁶ + (seq mod 10⁶) ns, so a window written
 * twice is the same point. Pure.
 *
 * Two forms of the same point: `windowPoint` (the client's IPoint, for `writePoints`) and `windowLine`, its line
 * protocol written directly, byte for byte what `writePoints` makes of `windowPoint` (test/store/influx/influx-points.test.ts
 * compares them). The outbox writer sends the lines: the client's generic path (a point object per window, then a schema
 * check, type coercion and the escaping of every field name of every point) cost more of serve's CPU per window than
 * the HTTP ingest's parse and check of the same window.
 */
import { escape, FieldType, type IPoint, type ISchemaOptions } from 'influx';
import { startStamp } from '../../domain/window-identity.js';
import type { StoredWindow } from '../window-store.js';
import { periodOf } from './aggregate-fold.js';

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

/** escape.tag of each StartStamp (a closed union): no escaping to do per point. */
const STAMP_TAGS: Readonly<Record<string, string>> = { device: ',stamp=device', receiver: ',stamp=receiver' };

/** The float as the client writes a FieldType.FLOAT (String(value)). */
const float = (value: number): string => String(value);
/** The integer as the client writes a FieldType.INTEGER (String(Math.floor(value)) + 'i'). */
const integer = (value: number): string => `${Math.floor(value)}i`;

/**
 * The line protocol of windowPoint(window): measurement, tags in the point's order (device, stamp), fields in the
 * client's order (sorted by name, absent ones left out), the timestamp in ns. `deviceTag` is escape.tag(deviceId)
 * (a batch escapes each device once).
 */
export function windowLine(window: StoredWindow, deviceTag: string = escape.tag(window.deviceId)): string {
  const stampTag = STAMP_TAGS[startStamp(window)] ?? `,stamp=${escape.tag(startStamp(window))}`;
  const { durationS, energyJ } = window;
  let line = `${WINDOW_MEASUREMENT},device=${deviceTag}${stampTag} duration_s=${float(durationS)},duration_sq_s2=${float(durationS * durationS)}`;
  line += `,end_ms=${float(window.startMs + durationS * 1000)},energy_duration_js=${float(energyJ * durationS)},energy_j=${float(energyJ)}`;
  line += `,energy_sq_j2=${float(energyJ * energyJ)},inference_span=${window.span === 'inferences' ? '1i' : '0i'},inferences=${integer(window.inferenceCount)}`;
  if (window.instrument !== undefined) line += `,instrument=${escape.quoted(window.instrument)}`;
  line += `,instrumented_s=${float(window.instrument === undefined ? 0 : durationS)}`;
  if (window.maxPowerW !== null) line += `,max_power_w=${float(window.maxPowerW)}`;
  if (window.minPowerW !== null) line += `,min_power_w=${float(window.minPowerW)}`;
  line += `,samples=${integer(window.sampleCount)},seq=${integer(window.seq)},seq_use=${integer(window.seqUse)},source=${escape.quoted(window.source)}`;
  return `${line},start_ms=${float(window.startMs)} ${windowTimestampNs(window)}`;
}

/** The request body of a write of `windows`: one line each (windowLine), in order, joined by newlines. */
export function windowLines(windows: readonly StoredWindow[]): string {
  const deviceTags = new Map<string, string>();
  let body = '';
  for (const window of windows) {
    let deviceTag = deviceTags.get(window.deviceId);
    if (deviceTag === undefined) deviceTags.set(window.deviceId, (deviceTag = escape.tag(window.deviceId)));
    body += (body.length > 0 ? '\n' : '') + windowLine(window, deviceTag);
  }
  return body;
}

/**
 * The change feed (docs/influxdb-schema.md § Change markers): after each acknowledged write of windows, one point per
 * device of the batch, in a retention policy of its own, so that a fleet sync reads again only the devices written
 * since its last look.
 */
export const CHANGE_MEASUREMENT = 'window_change';

export const CHANGE_SCHEMA: Readonly<ISchemaOptions> = Object.freeze({
  measurement: CHANGE_MEASUREMENT,
  tags: ['device', 'period', 'writer'],
  fields: { windows: FieldType.INTEGER },
});

/**
 * Per device of the batch: its windows' count, and the period (AGGREGATE_PERIOD_MS, ms since 1970) of its oldest
 * window: how far back the change reaches, so a sync re-reads that device from there (or in full, when it is before
 * what the sync kept).
 */
function changesOf(windows: readonly StoredWindow[]): Map<string, { count: number; periodMs: number }> {
  const changes = new Map<string, { count: number; periodMs: number }>();
  for (const window of windows) {
    const periodMs = periodOf(Math.floor(window.startMs));
    const change = changes.get(window.deviceId);
    if (change === undefined) changes.set(window.deviceId, { count: 1, periodMs });
    else {
      change.count += 1;
      if (periodMs < change.periodMs) change.periodMs = periodMs;
    }
  }
  return changes;
}

/**
 * One marker per device of the batch, tagged with the period of its oldest window, with the number of its windows the
 * write carried. No timestamp: influxd stamps each with its own receive time, so every marker is on one clock
 * (influxd's), whichever instance wrote it.
 */
export function changePoints(windows: readonly StoredWindow[], writerId: string): IPoint[] {
  return [...changesOf(windows)].map(([device, { count, periodMs }]) => ({
    measurement: CHANGE_MEASUREMENT,
    tags: { device, period: String(periodMs), writer: writerId },
    fields: { windows: count },
  }));
}

/** The request body of changePoints(windows, writerId): byte for byte what `writePoints` makes of them. */
export function changeLines(windows: readonly StoredWindow[], writerId: string): string {
  const writerTag = escape.tag(writerId);
  let body = '';
  for (const [device, { count, periodMs }] of changesOf(windows)) {
    body += `${body.length > 0 ? '\n' : ''}${CHANGE_MEASUREMENT},device=${escape.tag(device)},period=${periodMs},writer=${writerTag} windows=${count}i`;
  }
  return body;
}
