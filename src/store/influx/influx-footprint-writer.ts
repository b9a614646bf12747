/**
 * Writes footprint snapshots (footprint-points.ts) to the database the InfluxWindowStore writes windows to, with the
 * same client settings: no client retries (the snapshot round is the retry: the next one writes every device again),
 * failures mapped to StoreUnavailableError / StoreRejectedError.
 */
import type { InfluxDB } from 'influx';
import { StoreClosedError } from '../../domain/errors.js';
import { mapInfluxError } from './influx-errors.js';
import { FOOTPRINT_SCHEMA, footprintLines, type FootprintSnapshot } from './footprint-points.js';
import { influxClient, lineWriterOf, type LineWriter } from './influx-client.js';
import { DEFAULT_INFLUX_DATABASE, type InfluxWindowStoreOptions } from './influx-window-store.js';

/**
 * Points per write request: a point is ≈ 250 bytes of line protocol, so 1 000 is ≈ 250 KB, far below influxd's
 * default 25 MB body limit; 100 000 devices take 100 requests a round. The lines of one request are built in one
 * task, so its size bounds that task: 1 000 lines are ≈ 1–3 ms (bench/fleet-edges.ts, `snapshots`).
 */
export const FOOTPRINT_POINTS_PER_WRITE = 1_000;

export class InfluxFootprintWriter {
  readonly database: string;
  private readonly client: InfluxDB;
  private readonly writeLines: LineWriter;
  private databaseReady = false;
  private closed = false;

  constructor(options: InfluxWindowStoreOptions) {
    this.database = options.database ?? DEFAULT_INFLUX_DATABASE;
    this.client = influxClient({ ...options, database: this.database, schema: [FOOTPRINT_SCHEMA] });
    this.writeLines = lineWriterOf(this.client, this.database);
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
        await this.writeLines(footprintLines(snapshots.slice(from, from + FOOTPRINT_POINTS_PER_WRITE), atMs));
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
