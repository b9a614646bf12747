/**
 * The InfluxDB implementation of WindowStore, with the `influx` package (v1 HTTP API: `/write` line protocol,
 * InfluxQL `/query`; InfluxDB 1.x natively, 2.x/3.x through their v1-compatible endpoints). Schema:
 * docs/influxdb-schema.md. The client's own retries and host backoff are off: the caller (the outbox writer) owns the
 * retry schedule (util/backoff.ts), and every failure comes out as StoreUnavailableError or StoreRejectedError.
 */
import { randomUUID } from 'node:crypto';
import { escape, ResultError, type InfluxDB, type IResults } from 'influx';
import { StoreClosedError, StoreUnavailableError } from '../../domain/errors.js';
import { isInstrumentId, type InstrumentId } from '../../domain/instruments.js';
import type { DeviceAggregate } from '../../domain/types.js';
import { mergeInstruments } from '../../domain/window-totals.js';
import type { StoredWindow, WindowStore, WindowStoreCapabilities } from '../window-store.js';
import { influxClient, lineWriterOf, type LineWriter } from './influx-client.js';
import { isDatabaseNotFound, mapInfluxError } from './influx-errors.js';
import { AGGREGATE_PERIOD_MS, foldParts, type PeriodPart } from './aggregate-fold.js';
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
  /**
   * The period (ms since 1970, AGGREGATE_PERIOD_MS) of the device's oldest window in the marked batch: the change
   * reaches no further back. Null for a marker without the tag (written by an older version): anything may have changed.
   */
  periodMs: number | null;
}
/**
 * Device ids per InfluxQL statement of a batched aggregate read (`"device" = '…' OR …`, ≤ 4.2 kB of statement for ids of
 * at most 64 characters, the device id pattern); a request sends several. influxd 1.6's cost of a statement grows faster
 * than its number of ids: over 1 000 devices of 50 points (bench/influx-sync-cost.ts, influxd CPU per device) one
 * `sum()` costs 390–470 µs at 500 ids per statement, 200 at 100, 90–140 at 50, 120–150 at 25 and 10; the aggregate
 * statement 1 690–1 930, 1 600, 1 300–1 340, 1 260–1 270, 1 310–1 340.
 */
export const INFLUX_AGGREGATE_IDS_PER_QUERY = 50;
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
/**
 * Reads of a device's parts at most, in one aggregateParts call, before it is answered as unsettled. influxd 1.x
 * answers each function of a SELECT from cursors it opens one after another, each on its own snapshot of the cache
 * (no snapshot per statement): a read that overlaps a write of the device can count a window in one function and miss
 * it in another (a writer and a reader on one influxd: 129 torn rows in 615 reads; test/store/influx/influx-settled-read.int.test.ts).
 * So the devices are read again, and a device's parts are answered only when two reads in a row agree, field by field;
 * those whose two reads differ are read once more, up to this many reads. A write is applied to influxd's cache in
 * microseconds, so two reads agreeing on a torn state would both have to fall inside one write's application.
 */
export const INFLUX_SETTLED_READ_ATTEMPTS = 4;
/**
 * The upper time bound of every aggregate read (ms): 2262-01-01, just inside InfluxDB's largest timestamp
 * (2262-04-11). A GROUP BY time() without an upper bound stops at influxd's now(), and a window from a device whose
 * clock runs ahead (the plausibility check allows a day) must still be counted.
 */
export const AGGREGATE_READ_UNTIL_MS = Date.UTC(2262, 0, 1);

/** A device's per-period partial aggregates over a range, and the instruments its windows there name (aggregateParts). */
export interface AggregateParts {
  parts: PeriodPart[];
  instruments: InstrumentId[];
  /**
   * True when INFLUX_SETTLED_READ_ATTEMPTS reads of the device never agreed twice in a row (it was written throughout):
   * `parts` and `instruments` are then the last read's, possibly torn, and must not be served as its totals.
   */
  unsettled?: true;
}

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

const AGGREGATE_SELECT = [
  'sum("energy_j") AS energy_j',
  'sum("duration_s") AS observed_s',
  'count("energy_j") AS windows',
  'sum("samples") AS samples',
  'sum("inferences") AS inferences',
  'min("min_power_w") AS min_power_w',
  'max("max_power_w") AS max_power_w',
  'max("seq") AS max_seq',
  'max("end_ms") AS last_seen_ms',
  'sum("energy_sq_j2") AS energy_sq_j2',
  'sum("energy_duration_js") AS energy_duration_js',
  'sum("duration_sq_s2") AS duration_sq_s2',
  'sum("inference_span") AS inference_span_windows',
  'sum("instrumented_s") AS instrumented_s',
].join(', ');
/**
 * The aggregate's first-seen time (the one function AGGREGATE_SELECT leaves out): asked only of the devices whose earlier
 * periods have a first-seen already (AggregatePartsOptions.withoutFirstSeen): a point's `start_ms` lies in its own period
 * (its timestamp is `floor(start_ms)` ms plus < 1 ms), so the minimum over every period is the earliest period's, and a
 * later period's never changes the fold. One function of 16 is about 30–50 µs of influxd CPU per device read.
 */
const FIRST_SEEN_SELECT = 'min("start_ms") AS first_seen_ms';

/** Options of a parts read (InfluxWindowStore.aggregateParts). */
export interface AggregatePartsOptions {
  /**
   * Devices whose parts need no first-seen time (their fold already has one from a period before their start): their
   * statements leave `min("start_ms")` out and their parts say `firstSeenMs: null`.
   */
  withoutFirstSeen?: ReadonlySet<string>;
  /**
   * Per device, the parts a settled earlier read found over the same range (its caller kept them): a first read equal to
   * them, field by field, is settled without a second read: each function answered what it answered at that earlier,
   * consistent read, and the windows' count equals it only if no point added since is visible (a dropped point changes
   * the answer too, and is read again), so what is answered is that consistent state (docs/influxdb-schema.md § Settled
   * reads). Parts with `parts` empty expect the device to have no windows there.
   */
  expected?: ReadonlyMap<string, AggregateParts>;
}

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
   * The newest change marker of each device, writer and period among those influxd received within the last `lookbackMs` (its
   * clock): `last()` per series, one row each, not every marker (a device written every 10 s has two or three in a
   * look-back; the sync needs only whether the newest is newer than the one it took).
   */
  async changes(lookbackMs: number): Promise<WindowChange[]> {
    this.assertOpen();
    await this.setUp();
    const from = `${escape.quoted(this.database)}.${escape.quoted(CHANGE_RETENTION_POLICY)}.${escape.quoted(CHANGE_MEASUREMENT)}`;
    let rows: IResults<{ time: { getNanoTime(): string }; device: string; writer: string; period?: string }>;
    try {
      rows = await this.client.query(
        `SELECT last("windows") FROM ${from} WHERE time > now() - ${Math.ceil(lookbackMs)}ms GROUP BY "device", "writer", "period"`,
      );
    } catch (raw) {
      throw mapInfluxError(raw, 'read of the change markers');
    }
    return rows.map((row) => ({
      device: row.device,
      writer: row.writer,
      timeNs: BigInt(row.time.getNanoTime()),
      periodMs: periodTag(row.period),
    }));
  }

  /** Each device's canonical aggregate: the fold of all its periods (aggregateParts from 0, then foldParts). */
  async aggregates(deviceIds: readonly string[]): Promise<Map<string, DeviceAggregate>> {
    const found = new Map<string, DeviceAggregate>();
    const read = await this.aggregateParts(new Map(deviceIds.map((id) => [id, 0])));
    for (const [device, { parts, instruments, unsettled }] of read) {
      if (unsettled === true) throw new StoreUnavailableError(`InfluxDB aggregate read of ${device}: its reads never agreed (written throughout); try again`);
      const aggregate = foldParts(device, undefined, parts, instruments);
      if (aggregate !== undefined) found.set(device, aggregate);
    }
    return found;
  }

  /**
   * Each named device's per-period partial aggregates from its own start (ms, a period boundary; 0: its whole history)
   * up to AGGREGATE_READ_UNTIL_MS, in period order, and the instruments its windows in that range name (docs/influxdb-schema.md
   * § Aggregates). A device without windows in its range is absent. Devices with the same start share statements: at
   * most INFLUX_AGGREGATE_IDS_PER_QUERY ids per statement and INFLUX_AGGREGATE_IDS_PER_REQUEST per request,
   * INFLUX_AGGREGATE_CONCURRENT_REQUESTS requests in flight. Devices in `options.withoutFirstSeen` are read without
   * their first-seen time (FIRST_SEEN_SELECT), in statements of their own.
   */
  async aggregateParts(fromMsById: ReadonlyMap<string, number>, options: AggregatePartsOptions = {}): Promise<Map<string, AggregateParts>> {
    this.assertOpen();
    const settled = new Map<string, AggregateParts>();
    if (fromMsById.size === 0) return settled;
    await this.setUp();
    // Settled reads (INFLUX_SETTLED_READ_ATTEMPTS): a device is answered once two reads in a row agree.
    let last = await this.readPartsOnce(fromMsById, options);
    let pending: ReadonlyMap<string, number> = fromMsById;
    if (options.expected !== undefined && options.expected.size > 0) {
      // A first read that equals what a settled read found before is settled as it is (no second read).
      const { expected } = options;
      const differ = new Map<string, number>();
      for (const [id, fromMs] of fromMsById) {
        const before = expected.get(id);
        const parts = last.get(id);
        if (before === undefined || !sameParts(before.parts.length === 0 ? undefined : before, parts)) differ.set(id, fromMs);
        else if (parts !== undefined) settled.set(id, parts);
      }
      pending = differ;
    }
    for (let reads = 1; reads < INFLUX_SETTLED_READ_ATTEMPTS && pending.size > 0; reads += 1) {
      const again = await this.readPartsOnce(pending, options);
      const differ = new Map<string, number>();
      for (const [id, fromMs] of pending) {
        const parts = again.get(id);
        if (!sameParts(last.get(id), parts)) differ.set(id, fromMs);
        else if (parts !== undefined) settled.set(id, parts);
      }
      pending = differ;
      last = again;
    }
    for (const id of pending.keys()) settled.set(id, { ...(last.get(id) ?? { parts: [], instruments: [] }), unsettled: true });
    return settled;
  }

  /** One read of the devices' parts (aggregateParts reads until they settle). */
  private async readPartsOnce(fromMsById: ReadonlyMap<string, number>, options: AggregatePartsOptions): Promise<Map<string, AggregateParts>> {
    const found = new Map<string, AggregateParts>();
    const requests = packRequests(fromMsById, options.withoutFirstSeen);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const request = requests[next]!;
        next += 1;
        await this.readPartsRequest(request, found).catch((error: unknown) => {
          next = requests.length; // the read fails: no further requests
          throw error;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(INFLUX_AGGREGATE_CONCURRENT_REQUESTS, requests.length) }, worker));
    return found;
  }

  /**
   * One request of a parts read (statements of at most INFLUX_AGGREGATE_IDS_PER_REQUEST ids in all): its rows go into
   * `found`. The instruments' `distinct()` (a statement of its own: InfluxQL does not combine it with other
   * functions) is asked, in a second request, only for the devices whose `count("instrument")` in the range is above
   * zero: influxd's cost of a read is about 50 µs per function and series besides the points (docs/influxdb-schema.md
   * § Reading), and most devices have no instrumented window. The two requests are not one snapshot: an instrumented
   * window written between them can show its instrument before its device's aggregate counts it; the next change
   * marker of that device reads both again.
   */
  private async readPartsRequest(request: readonly PartsStatement[], found: Map<string, AggregateParts>): Promise<void> {
    const instrumented = new Map<number, string[]>();
    const statements = request.map(({ fromMs, ids, firstSeen }) =>
      partsStatement(`${AGGREGATE_SELECT}${firstSeen ? `, ${FIRST_SEEN_SELECT}` : ''}, count("instrument") AS instrument_windows`, fromMs, ids, true),
    );
    const results = await this.queryRaw(statements, `aggregate read of ${request.reduce((n, s) => n + s.ids.length, 0)} devices`);
    results.forEach((result, index) => {
      const fromMs = request[index]!.fromMs;
      for (const series of result.series ?? []) {
        const device = series.tags?.device;
        if (device === undefined) continue;
        const parts = partsOf(series);
        if (parts.length === 0) continue;
        found.set(device, { parts, instruments: [] });
        if (parts.some((part) => part.instrumentWindows > 0)) {
          const list = instrumented.get(fromMs) ?? [];
          list.push(device);
          instrumented.set(fromMs, list);
        }
      }
    });
    if (instrumented.size === 0) return;
    // As the aggregate statements: at most INFLUX_AGGREGATE_IDS_PER_QUERY ids each (influxd's cost per device grows with them).
    const asked: { fromMs: number; ids: string[] }[] = [];
    for (const [fromMs, ids] of instrumented) {
      for (let from = 0; from < ids.length; from += INFLUX_AGGREGATE_IDS_PER_QUERY)
        asked.push({ fromMs, ids: ids.slice(from, from + INFLUX_AGGREGATE_IDS_PER_QUERY) });
    }
    const named = await this.queryRaw(
      asked.map(({ fromMs, ids }) => partsStatement('distinct("instrument") AS instrument', fromMs, ids, false)),
      `instrument read of ${asked.reduce((n, s) => n + s.ids.length, 0)} devices`,
    );
    for (const result of named) {
      for (const series of result.series ?? []) {
        const entry = series.tags?.device === undefined ? undefined : found.get(series.tags.device);
        if (entry === undefined) continue;
        const column = series.columns.indexOf('instrument');
        for (const row of series.values ?? []) {
          const value = row[column];
          if (typeof value === 'string' && isInstrumentId(value)) entry.instruments = mergeInstruments(entry.instruments, [value]);
        }
      }
    }
  }

  /** The statements in one POST, answered raw (times in ms): one result per statement, in order; an error result throws. */
  private async queryRaw(statements: readonly string[], what: string): Promise<RawResult[]> {
    let raw: { results?: RawResult[] };
    try {
      raw = (await this.client.queryRaw(statements.join(';'), { method: 'POST', precision: 'ms' })) as { results?: RawResult[] };
    } catch (error) {
      throw mapInfluxError(error, what);
    }
    const results = raw.results ?? [];
    for (const result of results) if (result.error !== undefined) throw mapInfluxError(new ResultError(result.error), what);
    if (results.length !== statements.length) throw mapInfluxError(new ResultError(`${results.length} results for ${statements.length} statements`), what);
    // A result cut at influxd's max-row-limit says so: folding it would drop periods silently (and keep them dropped).
    for (const result of results) {
      if (result.partial === true || (result.series ?? []).some((series) => series.partial === true)) {
        throw mapInfluxError(new ResultError('a partial result (influxd max-row-limit): raise the limit or read fewer devices at once'), what);
      }
    }
    return results;
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

interface RawSeries {
  tags?: Record<string, string>;
  columns: string[];
  values?: unknown[][];
  partial?: boolean;
}
interface RawResult {
  series?: RawSeries[];
  error?: string;
  partial?: boolean;
}

/** The devices of one statement of a parts read: all read from the same start, all with or all without first-seen. */
interface PartsStatement {
  fromMs: number;
  ids: string[];
  firstSeen: boolean;
}

/**
 * Statements grouped by start and by whether they ask first-seen, INFLUX_AGGREGATE_IDS_PER_QUERY ids each, packed into
 * requests of at most INFLUX_AGGREGATE_IDS_PER_REQUEST ids.
 */
function packRequests(fromMsById: ReadonlyMap<string, number>, withoutFirstSeen: ReadonlySet<string> = new Set()): PartsStatement[][] {
  const groups = new Map<string, { fromMs: number; firstSeen: boolean; ids: string[] }>();
  for (const [id, fromMs] of fromMsById) {
    const firstSeen = !withoutFirstSeen.has(id);
    const key = `${fromMs}:${firstSeen}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { fromMs, firstSeen, ids: [id] });
    else group.ids.push(id);
  }
  const requests: PartsStatement[][] = [];
  let request: PartsStatement[] = [];
  let size = 0;
  for (const { fromMs, firstSeen, ids } of groups.values()) {
    for (let from = 0; from < ids.length; from += INFLUX_AGGREGATE_IDS_PER_QUERY) {
      const chunk = ids.slice(from, from + INFLUX_AGGREGATE_IDS_PER_QUERY);
      if (size + chunk.length > INFLUX_AGGREGATE_IDS_PER_REQUEST && request.length > 0) {
        requests.push(request);
        request = [];
        size = 0;
      }
      request.push({ fromMs, ids: chunk, firstSeen });
      size += chunk.length;
    }
  }
  if (request.length > 0) requests.push(request);
  return requests;
}

/**
 * `SELECT <select>` over the windows of `ids` from `fromMs` to AGGREGATE_READ_UNTIL_MS, per device, and per period
 * when `perPeriod` (fill(none): no row for a period without windows). The explicit upper bound matters: a GROUP BY
 * time() without one stops at now(), and a device whose clock runs ahead must still be counted.
 */
function partsStatement(select: string, fromMs: number, ids: readonly string[], perPeriod: boolean): string {
  const where = ids.map((id) => `"device" = ${escape.stringLit(id)}`).join(' OR ');
  const group = perPeriod ? `GROUP BY time(${AGGREGATE_PERIOD_MS}ms), "device" fill(none)` : 'GROUP BY "device"';
  return `SELECT ${select} FROM ${escape.quoted(WINDOW_MEASUREMENT)} WHERE (${where}) AND time >= ${nanoseconds(fromMs)} AND time <= ${nanoseconds(AGGREGATE_READ_UNTIL_MS)} ${group}`;
}

/** A marker's `period` tag as ms; null when absent (an older marker) or not a period start. */
function periodTag(tag: string | undefined): number | null {
  if (tag === undefined || !/^-?\d+$/.test(tag)) return null;
  const periodMs = Number(tag);
  return Number.isSafeInteger(periodMs) && periodMs % AGGREGATE_PERIOD_MS === 0 ? periodMs : null;
}

/** An InfluxQL time literal: integer ns since 1970. */
const nanoseconds = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();

const numberOr = <T>(value: unknown, otherwise: T): number | T => (typeof value === 'number' ? value : otherwise);

/** One device's rows of a per-period statement as PeriodParts, in period order. */
function partsOf(series: RawSeries): PeriodPart[] {
  const at = (name: string): number => series.columns.indexOf(name);
  const [
    time,
    energy,
    observed,
    windows,
    samples,
    inferences,
    minPower,
    maxPower,
    maxSeq,
    first,
    last,
    energySq,
    energyDuration,
    durationSq,
    spans,
    instrumentedS,
    instrumentWindows,
  ] = [
    'time',
    'energy_j',
    'observed_s',
    'windows',
    'samples',
    'inferences',
    'min_power_w',
    'max_power_w',
    'max_seq',
    'first_seen_ms',
    'last_seen_ms',
    'energy_sq_j2',
    'energy_duration_js',
    'duration_sq_s2',
    'inference_span_windows',
    'instrumented_s',
    'instrument_windows',
  ].map(at) as number[];
  const parts: PeriodPart[] = [];
  for (const row of series.values ?? []) {
    parts.push({
      periodMs: row[time!] as number,
      energyJ: numberOr(row[energy!], 0),
      observedS: numberOr(row[observed!], 0),
      windows: numberOr(row[windows!], 0),
      samples: numberOr(row[samples!], 0),
      inferences: numberOr(row[inferences!], 0),
      minPowerW: numberOr(row[minPower!], null),
      maxPowerW: numberOr(row[maxPower!], null),
      maxSeq: numberOr(row[maxSeq!], null),
      firstSeenMs: numberOr(row[first!], null),
      lastSeenMs: numberOr(row[last!], null),
      energySquaresJ2: numberOr(row[energySq!], 0),
      energyDurationJS: numberOr(row[energyDuration!], 0),
      durationSquaresS2: numberOr(row[durationSq!], 0),
      inferenceSpanWindows: numberOr(row[spans!], 0),
      instrumentedS: numberOr(row[instrumentedS!], 0),
      instrumentWindows: numberOr(row[instrumentWindows!], 0),
    });
  }
  return parts.sort((a, b) => a.periodMs - b.periodMs);
}

/** The same parts and instruments, field by field (Object.is), or both absent: two reads that agree (aggregateParts). */
function sameParts(a: AggregateParts | undefined, b: AggregateParts | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.parts.length !== b.parts.length || a.instruments.length !== b.instruments.length) return false;
  if (!a.instruments.every((id, n) => id === b.instruments[n])) return false;
  return a.parts.every((part, n) => {
    const other = b.parts[n]!;
    const keys = Object.keys(part) as (keyof PeriodPart)[];
    return keys.length === Object.keys(other).length && keys.every((key) => Object.is(part[key], other[key]));
  });
}
