/**
 * The InfluxDB implementation of WindowStore, with the `influx` package (v1 HTTP API: `/write` line protocol,
 * InfluxQL `/query`; InfluxDB 1.x natively, 2.x/3.x through their v1-compatible endpoints). Schema:
 * docs/influxdb-schema.md. The client's own retries and host backoff are off: the caller (the outbox writer) owns the
 * retry schedule (util/backoff.ts), and every failure comes out as StoreUnavailableError or StoreRejectedError.
 */
import { randomUUID } from 'node:crypto';
import { escape, type InfluxDB, type IResults } from 'influx';
import { StoreClosedError } from '../../domain/errors.js';
import { isInstrumentId, type InstrumentId } from '../../domain/instruments.js';
import type { DeviceAggregate } from '../../domain/types.js';
import { mergeInstruments } from '../../domain/window-totals.js';
import type { StoredWindow, WindowStore, WindowStoreCapabilities } from '../window-store.js';
import { influxClient, lineWriterOf, type LineWriter } from './influx-client.js';
import { isDatabaseNotFound, mapInfluxError } from './influx-errors.js';
import { CHANGE_MEASUREMENT, CHANGE_SCHEMA, changeLines, WINDOW_MEASUREMENT, WINDOW_SCHEMA, windowLines } from './influx-points.js';

export const DEFAULT_INFLUX_DATABASE = 'tinyml_footprint';
/** The retention policy the service creates (and makes the database's default) when a retention is configured. */
export const INFLUX_RETENTION_POLICY = 'tinyml_footprint';
export { INFLUX_REQUEST_TIMEOUT_MS } from './influx-client.js';
/** The change markers' own retention policy (never the default): a sync needs only the last minutes of them. */
export const CHANGE_RETENTION_POLICY = 'tinyml_changes';
/** How long InfluxDB keeps change markers (ms): 1 h, the shortest duration InfluxDB 1.x accepts for a policy. */
export const CHANGE_RETENTION_MS = 3_600_000;

/** A change marker as a sync reads it (docs/influxdb-schema.md § Change markers). */
export interface WindowChange {
  device: string;
  /** The writing process (one outbox writer, one batch in flight): its markers become visible in the order it wrote them. */
  writer: string;
  /** influxd's receive time of the marker (ns): increases from one write of a writer to its next. */
  timeNs: bigint;
}
/**
 * Device ids per InfluxQL statement of a batched aggregate read: `"device" = '…' OR …` for 500 ids of at most 64
 * characters (the device id pattern) is at most ≈ 42 kB of statement.
 */
export const INFLUX_AGGREGATE_IDS_PER_QUERY = 500;
/**
 * Device ids per HTTP request of an aggregate read (statements of INFLUX_AGGREGATE_IDS_PER_QUERY; the instruments of
 * the instrumented ones in a second request). Each
 * request is a POST /query (InfluxDB 1.x takes SELECT in a form body as well as in the URL): a GET's query string
 * must fit the server's header limit (influxd: Go's 1 MiB default; a reverse proxy often 8 KiB), and about 10 000 ids
 * in one GET got HTTP 431 from influxd. The body stays ≈ 0.1 MB, far below the 10 MiB Go's form parser accepts. The
 * bound also keeps one request's time inside INFLUX_REQUEST_TIMEOUT_MS (influxd 1.6 spends ≈ 0.6–1.5 ms of CPU per
 * device on the 16 functions of the aggregate statement, per series, with or without the WHERE; measured on this 2-core
 * machine), and the parse of one answer (≈ 45 µs of this process's CPU per device, all told) a task of a few ms.
 */
export const INFLUX_AGGREGATE_IDS_PER_REQUEST = 500;
/**
 * Aggregate requests one read keeps in flight: enough to overlap one request's network and parsing with influxd's
 * work on the next, few enough that a fleet re-read does not take every core of influxd from the writers.
 */
export const INFLUX_AGGREGATE_CONCURRENT_REQUESTS = 2;
/**
 * InfluxDB acknowledges a write once it is in the WAL and the in-memory cache, which queries read: a read right after
 * a write sees it. The contract suite checks this bound all the same (a 2.x/3.x behind the v1 API may lag).
 */
export const INFLUX_MAX_READ_LAG_MS = 1_000;

export interface InfluxWindowStoreOptions {
  /** e.g. `http://127.0.0.1:8086`. */
  url: string;
  database?: string;
  username?: string;
  password?: string;
  /** InfluxQL duration (`30d`, `520w`, `INF`); absent: the database's default policy stays as it is. */
  retention?: string;
  requestTimeoutMs?: number;
  /** The tag of this writer's change markers; absent: a random id per store (one outbox writer per process). */
  writerId?: string;
}

interface AggregateRow {
  device: string;
  energy_j: number;
  observed_s: number;
  windows: number;
  samples: number;
  inferences: number;
  min_power_w: number | null;
  max_power_w: number | null;
  max_seq: number | null;
  first_seen_ms: number | null;
  last_seen_ms: number | null;
  energy_sq_j2: number;
  energy_duration_js: number;
  duration_sq_s2: number;
  inference_span_windows: number;
  instrumented_s: number;
  /** Windows with an instrument (count of the string field): the instruments are read for these devices only. */
  instrument_windows: number | null;
}

const AGGREGATE_SELECT = [
  'sum("energy_j") AS energy_j',
  'sum("duration_s") AS observed_s',
  'count("energy_j") AS windows',
  'sum("samples") AS samples',
  'sum("inferences") AS inferences',
  'min("min_power_w") AS min_power_w',
  'max("max_power_w") AS max_power_w',
  'max("seq") AS max_seq',
  'min("start_ms") AS first_seen_ms',
  'max("end_ms") AS last_seen_ms',
  'sum("energy_sq_j2") AS energy_sq_j2',
  'sum("energy_duration_js") AS energy_duration_js',
  'sum("duration_sq_s2") AS duration_sq_s2',
  'sum("inference_span") AS inference_span_windows',
  'sum("instrumented_s") AS instrumented_s',
].join(', ');

export class InfluxWindowStore implements WindowStore {
  readonly kind = 'influx';
  readonly capabilities: WindowStoreCapabilities = { readAfterWrite: 'eventual', maxReadLagMs: INFLUX_MAX_READ_LAG_MS, networked: true };
  readonly database: string;
  private readonly client: InfluxDB;
  /** One POST /write of ready line protocol (the request writePoints sends). */
  private readonly writeLines: LineWriter;
  private readonly retention: string | undefined;
  private readonly writerId: string;
  /** The database (and retention policy) set up; reset after a failure so that the next call tries again. */
  private ready: Promise<void> | null = null;
  private closed = false;

  constructor(options: InfluxWindowStoreOptions) {
    this.database = options.database ?? DEFAULT_INFLUX_DATABASE;
    this.retention = options.retention;
    this.writerId = options.writerId ?? randomUUID();
    this.client = influxClient({ ...options, database: this.database, schema: [WINDOW_SCHEMA, CHANGE_SCHEMA] });
    this.writeLines = lineWriterOf(this.client, this.database);
  }

  /**
   * The points, then (once InfluxDB acknowledged them) one change marker per device in a second request: a marker is
   * visible only after its windows are, which the incremental sync relies on. A failure of either rejects, and the
   * caller's retry writes both again (the points are the same points; a second marker is harmless).
   */
  async writeWindows(windows: readonly StoredWindow[]): Promise<void> {
    this.assertOpen();
    if (windows.length === 0) return;
    const lines = windowLines(windows);
    await this.setUp();
    try {
      await this.writeBoth(lines, windows);
    } catch (raw) {
      const error = mapInfluxError(raw, `write of ${windows.length} points`);
      if (!isDatabaseNotFound(error)) throw error;
      // Dropped behind our back: create it again and write once more (a second failure is the caller's to retry).
      this.ready = null;
      await this.setUp();
      await this.writeBoth(lines, windows).catch((again: unknown) => {
        throw mapInfluxError(again, `write of ${windows.length} points`);
      });
    }
  }

  /**
   * The newest change marker of each device and writer among those influxd received within the last `lookbackMs` (its
   * clock): `last()` per series, one row each, not every marker (a device written every 10 s has two or three in a
   * look-back; the sync needs only whether the newest is newer than the one it took).
   */
  async changes(lookbackMs: number): Promise<WindowChange[]> {
    this.assertOpen();
    await this.setUp();
    const from = `${escape.quoted(this.database)}.${escape.quoted(CHANGE_RETENTION_POLICY)}.${escape.quoted(CHANGE_MEASUREMENT)}`;
    let rows: IResults<{ time: { getNanoTime(): string }; device: string; writer: string }>;
    try {
      rows = await this.client.query(`SELECT last("windows") FROM ${from} WHERE time > now() - ${Math.ceil(lookbackMs)}ms GROUP BY "device", "writer"`);
    } catch (raw) {
      throw mapInfluxError(raw, 'read of the change markers');
    }
    return rows.map((row) => ({
      device: row.device,
      writer: row.writer,
      timeNs: BigInt(row.time.getNanoTime()),
    }));
  }

  async aggregates(deviceIds: readonly string[]): Promise<Map<string, DeviceAggregate>> {
    this.assertOpen();
    const found = new Map<string, DeviceAggregate>();
    const ids = [...new Set(deviceIds)];
    if (ids.length === 0) return found;
    await this.setUp();
    const instruments = new Map<string, InstrumentId[]>();
    const requests: string[][] = [];
    for (let from = 0; from < ids.length; from += INFLUX_AGGREGATE_IDS_PER_REQUEST) requests.push(ids.slice(from, from + INFLUX_AGGREGATE_IDS_PER_REQUEST));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const request = requests[next]!;
        next += 1;
        await this.readAggregateRequest(request, found, instruments).catch((error: unknown) => {
          next = requests.length; // the read fails: no further requests
          throw error;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(INFLUX_AGGREGATE_CONCURRENT_REQUESTS, requests.length) }, worker));
    for (const [device, list] of instruments) {
      const aggregate = found.get(device);
      if (aggregate !== undefined) aggregate.instruments = list;
    }
    return found;
  }

  /**
   * One request of an aggregate read (at most INFLUX_AGGREGATE_IDS_PER_REQUEST ids): its rows go into `found` and
   * `instruments`. The instruments' `distinct()` (a statement of its own: InfluxQL does not combine it with other
   * functions) is asked, in a second request, only for the devices whose `count("instrument")` is above zero: influxd's
   * cost of a read is about 50 µs per function and series besides the points (docs/influxdb-schema.md § Reading), and
   * most devices have no instrumented window. The two requests are not one snapshot (nor were the two statements of
   * one request before): an instrumented window written between them can show its instrument before its device's
   * aggregate counts it; the next change marker of that device reads both again.
   */
  private async readAggregateRequest(ids: readonly string[], found: Map<string, DeviceAggregate>, instruments: Map<string, InstrumentId[]>): Promise<void> {
    const instrumented: string[] = [];
    for (const result of await this.queryPerChunk(ids, `${AGGREGATE_SELECT}, count("instrument") AS instrument_windows`, 'aggregate read')) {
      for (const row of result as unknown as AggregateRow[]) {
        found.set(row.device, aggregateFromRow(row));
        if ((row.instrument_windows ?? 0) > 0) instrumented.push(row.device);
      }
    }
    if (instrumented.length === 0) return;
    for (const result of await this.queryPerChunk(instrumented, 'distinct("instrument") AS instrument', 'instrument read')) {
      for (const row of result as unknown as { device: string; instrument: unknown }[]) {
        if (typeof row.instrument === 'string' && isInstrumentId(row.instrument)) {
          instruments.set(row.device, mergeInstruments(instruments.get(row.device) ?? [], [row.instrument]));
        }
      }
    }
  }

  /** `SELECT <select>` over the windows of `ids`, GROUP BY "device", one statement per INFLUX_AGGREGATE_IDS_PER_QUERY ids, in one POST. */
  private async queryPerChunk(ids: readonly string[], select: string, what: string): Promise<IResults<unknown>[]> {
    const statements: string[] = [];
    for (let from = 0; from < ids.length; from += INFLUX_AGGREGATE_IDS_PER_QUERY) {
      const where = ids
        .slice(from, from + INFLUX_AGGREGATE_IDS_PER_QUERY)
        .map((id) => `"device" = ${escape.stringLit(id)}`)
        .join(' OR ');
      statements.push(`SELECT ${select} FROM ${escape.quoted(WINDOW_MEASUREMENT)} WHERE ${where} GROUP BY "device"`);
    }
    try {
      // The client answers one result per statement, in order, but a lone result unwrapped (one statement).
      const results = await this.client.query(statements, { method: 'POST' });
      return statements.length === 1 ? [results as unknown as IResults<unknown>] : (results as IResults<unknown>[]);
    } catch (raw) {
      throw mapInfluxError(raw, `${what} of ${ids.length} devices`);
    }
  }

  async close(): Promise<void> {
    this.assertOpen();
    this.closed = true;
    // The client keeps no connection or timer of its own once the pool's host backoff is off: nothing to release.
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private setUp(): Promise<void> {
    this.ready ??= this.createDatabase().catch((error: unknown) => {
      this.ready = null;
      throw mapInfluxError(error, `setup of database ${this.database}`);
    });
    return this.ready;
  }

  private async writeBoth(lines: string, windows: readonly StoredWindow[]): Promise<void> {
    await this.writeLines(lines, undefined);
    await this.writeLines(changeLines(windows, this.writerId), CHANGE_RETENTION_POLICY);
  }

  /**
   * CREATE DATABASE is idempotent; the change markers' policy is created when absent; the windows' policy is created,
   * or altered to the configured duration.
   */
  private async createDatabase(): Promise<void> {
    await this.client.createDatabase(this.database);
    const policies = await this.client.showRetentionPolicies(this.database);
    if (!policies.some((policy) => policy.name === CHANGE_RETENTION_POLICY)) {
      const duration = `${CHANGE_RETENTION_MS / 3_600_000}h`;
      await this.client.createRetentionPolicy(CHANGE_RETENTION_POLICY, { database: this.database, duration, replication: 1, isDefault: false });
    }
    if (this.retention === undefined) return;
    const options = { database: this.database, duration: this.retention, replication: 1, isDefault: true };
    if (policies.some((policy) => policy.name === INFLUX_RETENTION_POLICY)) await this.client.alterRetentionPolicy(INFLUX_RETENTION_POLICY, options);
    else await this.client.createRetentionPolicy(INFLUX_RETENTION_POLICY, options);
  }
}

function aggregateFromRow(row: AggregateRow): DeviceAggregate {
  return {
    deviceId: row.device,
    energyJ: row.energy_j,
    observedS: row.observed_s,
    windows: row.windows,
    samples: row.samples,
    inferences: row.inferences,
    minPowerW: row.min_power_w,
    maxPowerW: row.max_power_w,
    maxSeq: row.max_seq,
    firstSeenMs: row.first_seen_ms,
    lastSeenMs: row.last_seen_ms,
    energySquaresJ2: row.energy_sq_j2,
    energyDurationJS: row.energy_duration_js,
    durationSquaresS2: row.duration_sq_s2,
    inferenceSpanWindows: row.inference_span_windows,
    instruments: [],
    instrumentedS: row.instrumented_s,
  };
}
