/**
 * A device's footprint at one moment as an InfluxDB point (measurement `footprint`, docs/influxdb-schema.md), for
 * dashboards that read only InfluxDB. The footprint is computed by the service from the device's spec and its
 * measured power; these points are periodic snapshots of it, not a source of truth. Pure.
 */
import { escape, FieldType, type IPoint, type ISchemaOptions } from 'influx';

export const FOOTPRINT_MEASUREMENT = 'footprint';

/** What one snapshot of one device carries (kg CO2e; the power the footprint was computed with, W). */
export interface FootprintSnapshot {
  deviceId: string;
  powerKind: 'assumed' | 'given' | 'measured';
  powerW: number;
  /** Lifetime footprint, typical, and the ends of its range. */
  totalKgCO2e: number;
  totalMinKgCO2e: number;
  totalMaxKgCO2e: number;
  /** The same device at the 1 mW the published table assumed. */
  assumedTotalKgCO2e: number;
  useKgCO2e: number;
  /** Accrued since deployment; null when the device is not deployed. */
  accruedKgCO2e: number | null;
}

export const FOOTPRINT_SCHEMA: Readonly<ISchemaOptions> = Object.freeze({
  measurement: FOOTPRINT_MEASUREMENT,
  tags: ['device'],
  fields: {
    total_kg: FieldType.FLOAT,
    total_min_kg: FieldType.FLOAT,
    total_max_kg: FieldType.FLOAT,
    assumed_total_kg: FieldType.FLOAT,
    use_kg: FieldType.FLOAT,
    accrued_kg: FieldType.FLOAT,
    power_w: FieldType.FLOAT,
    power_kind: FieldType.STRING,
  },
});

/**
 * The snapshot at `atMs` (the snapshot round's time, the same for every device of one round). Writing a round again
 * at the same time (a retry, or another instance on the same round of the same interval) overwrites its points.
 */
export function footprintPoint(snapshot: FootprintSnapshot, atMs: number): IPoint {
  const fields: Record<string, number | string> = {
    total_kg: snapshot.totalKgCO2e,
    total_min_kg: snapshot.totalMinKgCO2e,
    total_max_kg: snapshot.totalMaxKgCO2e,
    assumed_total_kg: snapshot.assumedTotalKgCO2e,
    use_kg: snapshot.useKgCO2e,
    power_w: snapshot.powerW,
    power_kind: snapshot.powerKind,
  };
  if (snapshot.accruedKgCO2e !== null) fields.accrued_kg = snapshot.accruedKgCO2e;
  return { measurement: FOOTPRINT_MEASUREMENT, tags: { device: snapshot.deviceId }, fields, timestamp: `${Math.floor(atMs)}000000` };
}

/** escape.quoted of each power kind (a closed union): no escaping to do per point. */
const POWER_KINDS: Readonly<Record<FootprintSnapshot['powerKind'], string>> = {
  assumed: escape.quoted('assumed'),
  given: escape.quoted('given'),
  measured: escape.quoted('measured'),
};

/**
 * The line protocol of footprintPoint(snapshot, atMs), byte for byte what the client's writePoints sends for it (fields
 * sorted by name, floats as String(value), the absent accrued_kg left out): a round of 100 000 devices through
 * writePoints spent 90–220 ms of one task per request of 5 000 points, mostly the client's per-field coercion.
 */
export function footprintLine(snapshot: FootprintSnapshot, timestampNs: string): string {
  const accrued = snapshot.accruedKgCO2e === null ? '' : `accrued_kg=${String(snapshot.accruedKgCO2e)},`;
  return (
    `${FOOTPRINT_MEASUREMENT},device=${escape.tag(snapshot.deviceId)} ${accrued}assumed_total_kg=${String(snapshot.assumedTotalKgCO2e)}` +
    `,power_kind=${POWER_KINDS[snapshot.powerKind]},power_w=${String(snapshot.powerW)},total_kg=${String(snapshot.totalKgCO2e)}` +
    `,total_max_kg=${String(snapshot.totalMaxKgCO2e)},total_min_kg=${String(snapshot.totalMinKgCO2e)},use_kg=${String(snapshot.useKgCO2e)} ${timestampNs}`
  );
}

/** The request body of a write of `snapshots` at `atMs`: one footprintLine each, in order, joined by newlines. */
export function footprintLines(snapshots: readonly FootprintSnapshot[], atMs: number): string {
  const timestampNs = `${Math.floor(atMs)}000000`;
  let body = '';
  for (const snapshot of snapshots) body += (body.length > 0 ? '\n' : '') + footprintLine(snapshot, timestampNs);
  return body;
}
