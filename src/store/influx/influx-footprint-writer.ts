/**
 * Writes footprint snapshots (footprint-points.ts) to the database the InfluxWindowStore writes windows to, with the
 * same client settings: no client retries (the snapshot round is the retry: the next one writes every device again),
 * failures mapped to StoreUnavailableError / StoreRejectedError.
 */
import type { InfluxDB } from 'influx';
import { StoreClosedError } from '../../domain/errors.js';
import { mapInfluxError } from './influx-errors.js';
import { FOOTPRINT_SCHEMA, footprintPoint, type FootprintSnapshot } from './footprint-points.js';
import { influxClient } from './influx-client.js';
import { DEFAULT_INFLUX_DATABASE, type InfluxWindowStoreOptions } from './influx-window-store.js';

/**
 * Points per write request: a point is ≈ 250 bytes of line protocol, so 5 000 is ≈ 1.2 MB, far below influxd's
 * default 25 MB body limit, and 100 000 devices take 20 requests.
 */
export const FOOTPRINT_POINTS_PER_WRITE = 5_000;

export class InfluxFootprintWriter {
  readonly database: string;
  private readonly client: InfluxDB;
  private databaseReady = false;
  private closed = false;

  constructor(options: InfluxWindowStoreOptions) {
    this.database = options.database ?? DEFAULT_INFLUX_DATABASE;
    this.client = influxClient({ ...options, database: this.database, schema: [FOOTPRINT_SCHEMA] });
  }

  /** Writes one round: every snapshot at `atMs`, in requests of FOOTPRINT_POINTS_PER_WRITE. */
  async writeSnapshots(snapshots: readonly FootprintSnapshot[], atMs: number): Promise<void> {
    if (this.closed) throw new StoreClosedError();
    try {
      if (!this.databaseReady) {
        await this.client.createDatabase(this.database); // idempotent; the window store may not have written yet
        this.databaseReady = true;
      }
      for (let from = 0; from < snapshots.length; from += FOOTPRINT_POINTS_PER_WRITE) {
        const points = snapshots.slice(from, from + FOOTPRINT_POINTS_PER_WRITE).map((snapshot) => footprintPoint(snapshot, atMs));
        await this.client.writePoints(points, { precision: 'n' });
      }
    } catch (raw) {
      throw mapInfluxError(raw, `write of ${snapshots.length} footprint snapshots`);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
