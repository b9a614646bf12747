/**
 * The SQLite implementation of Store (better-sqlite3, synchronous under an async facade).
 * Durability: windows are acknowledged to MQTT (and to HTTP clients) only after appendWindows resolves, so a
 * committed transaction must survive a power cut. Hence WAL, and every write method resolves only after an fdatasync
 * of the WAL that started after its commit (wal-sync.ts): the guarantee of `synchronous = FULL`, with the fsync on
 * the thread pool instead of the event loop, so that the next group of windows is read and committed meanwhile.
 * SQLite itself runs `synchronous = NORMAL` (it still syncs the WAL header, and the WAL and database around every
 * checkpoint). ':memory:' has no file to sync.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, NotFoundError, StoreClosedError, ValidationError, WindowRefusedError } from '../../domain/errors.js';
import type {
  AppendOptions,
  AppendResult,
  Device,
  DeviceAggregate,
  DeviceInput,
  DevicePatch,
  DeviceSpec,
  EnergyWindow,
  RefusedWindow,
  StartStamp,
} from '../../domain/types.js';
import { isSameWindow, overlapDetail, overlaps, startStamp, type WindowContent } from '../../domain/window-identity.js';
import { windowShapeProblems } from '../../domain/window-plausibility.js';
import { addWindow, EMPTY_WINDOW_TOTALS, mergeInstruments, type WindowTotals } from '../../domain/window-totals.js';
import { isInstrumentId, type InstrumentId, type WindowSpan } from '../../domain/instruments.js';
import type {
  AppendGroupOutcome,
  AppendRequest,
  DeviceWithAggregate,
  ListAggregatesQuery,
  ListDevicesQuery,
  SeriesBucket,
  Store,
  WindowCursor,
  WindowRangeQuery,
} from '../store.js';
import type { DeadLetter, OutboxEntry, WindowOutbox } from '../window-outbox.js';
import type { StoredWindow } from '../window-store.js';
import { migrate, type MigrationOutcome } from './migrations.js';
import { openWalSyncFile, WalSync } from './wal-sync.js';

/**
 * Milliseconds a connection waits for another writer's lock (a second process on the same file, a backup)
 * before failing with SQLITE_BUSY. An append transaction takes well under a millisecond per window, so 5 s only
 * runs out when a writer is stuck, and it still fails before an MQTT client gives up on its ack.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** The `system` column value for a custom bill of materials (spec.system is an object). */
export const CUSTOM_SYSTEM_COLUMN = 'custom';

export interface SqliteStoreOptions {
  /** Unix epoch milliseconds; stamps received_ms, createdAt and updatedAt. Default Date.now. */
  clock?: () => number;
  /** How the WAL is fdatasynced (tests hold it); default openWalSyncFile. Not used for ':memory:'. */
  openWalSync?: typeof openWalSyncFile;
}

interface DeviceRow {
  id: string;
  name: string;
  fleet: string | null;
  deployed_at: string | null;
  spec_json: string;
  created_at: string;
  updated_at: string;
}

interface AggregateRow {
  device_id: string;
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
  instruments: string;
  instrumented_s: number;
}

/** A device row LEFT JOINed with its aggregate; the agg_ columns are all NULL when it has none. */
interface DeviceAggregateRow extends DeviceRow {
  agg_device_id: string | null;
  agg_energy_j: number | null;
  agg_observed_s: number | null;
  agg_windows: number | null;
  agg_samples: number | null;
  agg_inferences: number | null;
  agg_min_power_w: number | null;
  agg_max_power_w: number | null;
  agg_max_seq: number | null;
  agg_first_seen_ms: number | null;
  agg_last_seen_ms: number | null;
  agg_energy_sq_j2: number | null;
  agg_energy_duration_js: number | null;
  agg_duration_sq_s2: number | null;
  agg_inference_span_windows: number | null;
  agg_instruments: string | null;
  agg_instrumented_s: number | null;
}

interface WindowRow {
  device_id: string;
  seq: number;
  start_ms: number;
  duration_s: number;
  energy_j: number;
  sample_count: number;
  min_power_w: number | null;
  max_power_w: number | null;
  inference_count: number;
  source: string;
  start_stamped_by: StartStamp;
  instrument: string | null;
  span: WindowSpan;
}

/** One bucket of windowSeries. */
interface SeriesRow {
  bucket_ms: number;
  windows: number;
  energy_j: number;
  observed_s: number;
  inferences: number;
  min_power_w: number | null;
  max_power_w: number | null;
}

/** A stored window under the seq of a new one: a redelivery of it, or a re-use of the seq. */
interface SameSeqRow {
  seq_use: number;
  start_ms: number;
  duration_s: number;
  energy_j: number;
  sample_count: number;
  min_power_w: number | null;
  max_power_w: number | null;
  inference_count: number;
  start_stamped_by: StartStamp;
}

/** What the aggregate says about a device's stored windows; all NULL when it has none. */
interface BoundsRow {
  max_seq: number | null;
  last_seen_ms: number | null;
  max_duration_s: number | null;
  instruments: string | null;
}

/**
 * Bounds over a device's stored windows (this batch's inserted ones included) that let most windows skip a lookup:
 * a seq above `maxSeq` is neither a redelivery nor a re-use, a window starting at or after `lastEndMs` overlaps
 * nothing, and only windows starting within `maxDurationS` before a window can reach into it.
 */
interface DeviceBounds {
  maxSeq: number;
  lastEndMs: number;
  maxDurationS: number;
  /** The instruments stored so far: the aggregate keeps their union (merged here, written whole by the upsert). */
  instruments: InstrumentId[];
}

/** A stored device-stamped window that may overlap a new one. */
interface SpanRow {
  seq: number;
  start_ms: number;
  duration_s: number;
}

interface DeviceParams {
  id: string;
  name: string;
  fleet: string | null;
  system: string;
  training: string;
  grid: string;
  lifetime_years: number;
  deployed_at: string | null;
  spec_json: string;
  created_at: string;
  updated_at: string;
}

/**
 * An energy_windows row as the insert's positional parameters, in INSERT_WINDOW_COLUMNS order: better-sqlite3 binds
 * an array by index, where named parameters (an object) cost one property lookup from C++ per column, about a quarter
 * of the insert's CPU (10 against 7.5 µs per window in a group commit of 32 requests of 10 windows).
 */
type WindowParams = [
  device_id: string,
  seq: number,
  start_ms: number,
  duration_s: number,
  energy_j: number,
  sample_count: number,
  min_power_w: number | null,
  max_power_w: number | null,
  inference_count: number,
  source: string,
  received_ms: number,
  start_stamped_by: StartStamp,
  seq_use: number,
  instrument: string | null,
  span: WindowSpan,
  commit_seq: number,
];
const INSERT_WINDOW_COLUMNS =
  'device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w, inference_count, source, received_ms, ' +
  'start_stamped_by, seq_use, instrument, span, commit_seq';

/**
 * The upsert's positional parameters: AGGREGATE_COLUMNS plus max_duration_s, which only the overlap check reads (not
 * part of DeviceAggregate). Positional for the same reason as WindowParams.
 */
type AggregateParams = [
  device_id: string,
  energy_j: number,
  observed_s: number,
  windows: number,
  samples: number,
  inferences: number,
  min_power_w: number | null,
  max_power_w: number | null,
  max_seq: number | null,
  first_seen_ms: number | null,
  last_seen_ms: number | null,
  energy_sq_j2: number,
  energy_duration_js: number,
  duration_sq_s2: number,
  inference_span_windows: number,
  instruments: string,
  instrumented_s: number,
  max_duration_s: number,
];

/** What one transaction adds to a device's aggregate row (merged into it by the upsert). */
interface AggregateDelta {
  totals: WindowTotals;
  maxDurationS: number;
}

const DEVICE_COLUMNS = 'd.id, d.name, d.fleet, d.deployed_at, d.spec_json, d.created_at, d.updated_at';
const AGGREGATE_COLUMNS =
  'device_id, energy_j, observed_s, windows, samples, inferences, min_power_w, max_power_w, max_seq, first_seen_ms, last_seen_ms, ' +
  'energy_sq_j2, energy_duration_js, duration_sq_s2, inference_span_windows, instruments, instrumented_s';
const WINDOW_COLUMNS =
  'device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w, inference_count, source, start_stamped_by, instrument, span';
const JOINED_AGGREGATE_COLUMNS = AGGREGATE_COLUMNS.split(', ')
  .map((column) => `a.${column} AS agg_${column}`)
  .join(', ');

/** min/max of a stored and an incoming nullable value, ignoring NULLs (SQLite's min(x, NULL) is NULL). */
const nullableExtreme = (fn: 'min' | 'max', column: string): string =>
  `CASE WHEN ${column} IS NULL THEN excluded.${column} WHEN excluded.${column} IS NULL THEN ${column} ` + `ELSE ${fn}(${column}, excluded.${column}) END`;

class Statements {
  readonly getDevice;
  readonly insertDevice;
  readonly updateDevice;
  readonly listDevices;
  readonly listDevicesInFleet;
  readonly countDevices;
  readonly countDevicesInFleet;
  readonly listDevicesWithAggregates;
  readonly listDevicesWithAggregatesInFleet;
  readonly listDevicesWithAggregatesAfter;
  readonly listDevicesWithAggregatesInFleetAfter;
  readonly insertWindow;
  readonly windowsWithSeq;
  readonly deviceStampedStartingBetween;
  readonly deviceBounds;
  readonly listWindows;
  readonly listInferenceSpans;
  readonly listWindowsInRange;
  readonly windowSeries;
  readonly getAggregate;
  readonly upsertAggregate;
  readonly outboxHead;
  readonly readOutbox;
  readonly outboxCursor;
  readonly setOutboxCursor;
  readonly addDeadLetter;
  readonly listDeadLetters;
  readonly countDeadLetters;
  readonly deadLetterTargets;

  constructor(db: Database.Database) {
    this.getDevice = db.prepare<[string], DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.id = ?`);
    this.insertDevice = db.prepare<[DeviceParams]>(
      `INSERT INTO devices (id, name, fleet, system, training, grid, lifetime_years, deployed_at, spec_json, created_at, updated_at)
       VALUES (@id, @name, @fleet, @system, @training, @grid, @lifetime_years, @deployed_at, @spec_json, @created_at, @updated_at)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.updateDevice = db.prepare<[Omit<DeviceParams, 'created_at'>]>(
      `UPDATE devices SET name = @name, fleet = @fleet, system = @system, training = @training, grid = @grid,
         lifetime_years = @lifetime_years, deployed_at = @deployed_at, spec_json = @spec_json, updated_at = @updated_at
       WHERE id = @id`,
    );
    this.listDevices = db.prepare<[number, number], DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices d ORDER BY d.id LIMIT ? OFFSET ?`);
    this.listDevicesInFleet = db.prepare<[string, number, number], DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.fleet = ? ORDER BY d.id LIMIT ? OFFSET ?`,
    );
    this.countDevices = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM devices');
    this.countDevicesInFleet = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM devices WHERE fleet = ?');
    this.listDevicesWithAggregates = db.prepare<[number, number], DeviceAggregateRow>(
      `SELECT ${DEVICE_COLUMNS}, ${JOINED_AGGREGATE_COLUMNS}
       FROM devices d LEFT JOIN device_aggregates a ON a.device_id = d.id
       ORDER BY d.id LIMIT ? OFFSET ?`,
    );
    this.listDevicesWithAggregatesInFleet = db.prepare<[string, number, number], DeviceAggregateRow>(
      `SELECT ${DEVICE_COLUMNS}, ${JOINED_AGGREGATE_COLUMNS}
       FROM devices d LEFT JOIN device_aggregates a ON a.device_id = d.id
       WHERE d.fleet = ? ORDER BY d.id LIMIT ? OFFSET ?`,
    );
    this.listDevicesWithAggregatesAfter = db.prepare<[string, number, number], DeviceAggregateRow>(
      `SELECT ${DEVICE_COLUMNS}, ${JOINED_AGGREGATE_COLUMNS}
       FROM devices d LEFT JOIN device_aggregates a ON a.device_id = d.id
       WHERE d.id > ? ORDER BY d.id LIMIT ? OFFSET ?`,
    );
    this.listDevicesWithAggregatesInFleetAfter = db.prepare<[string, string, number, number], DeviceAggregateRow>(
      `SELECT ${DEVICE_COLUMNS}, ${JOINED_AGGREGATE_COLUMNS}
       FROM devices d LEFT JOIN device_aggregates a ON a.device_id = d.id
       WHERE d.fleet = ? AND d.id > ? ORDER BY d.id LIMIT ? OFFSET ?`,
    );
    this.insertWindow = db.prepare<WindowParams>(
      `INSERT INTO energy_windows (${INSERT_WINDOW_COLUMNS}) VALUES (${INSERT_WINDOW_COLUMNS.split(', ')
        .map(() => '?')
        .join(', ')})`,
    );
    // commit_seq is the table's rowid (migration 7): its last row, and a range of rows in order.
    this.outboxHead = db.prepare<[], { head: number | null }>('SELECT max(commit_seq) AS head FROM energy_windows');
    this.readOutbox = db.prepare<[number, number], WindowRow & { seq_use: number; commit_seq: number; received_ms: number }>(
      `SELECT ${WINDOW_COLUMNS}, seq_use, commit_seq, received_ms FROM energy_windows WHERE commit_seq > ? ORDER BY commit_seq LIMIT ?`,
    );
    this.outboxCursor = db.prepare<[string], { commit_seq: number }>('SELECT commit_seq FROM outbox_cursors WHERE target = ?');
    this.setOutboxCursor = db.prepare<[string, number]>(
      `INSERT INTO outbox_cursors (target, commit_seq) VALUES (?, ?)
       ON CONFLICT (target) DO UPDATE SET commit_seq = max(commit_seq, excluded.commit_seq)`,
    );
    this.addDeadLetter = db.prepare<[string, number, string, string, number]>(
      'INSERT INTO outbox_dead_letters (target, commit_seq, reason, detail, refused_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.listDeadLetters = db.prepare<
      [string, number],
      WindowRow & { seq_use: number; commit_seq: number; reason: string; detail: string; refused_ms: number }
    >(
      `SELECT ${WINDOW_COLUMNS.split(', ')
        .map((column) => `w.${column}`)
        .join(', ')}, w.seq_use, d.commit_seq, d.reason, d.detail, d.refused_ms
       FROM outbox_dead_letters d JOIN energy_windows w ON w.commit_seq = d.commit_seq
       WHERE d.target = ? ORDER BY d.commit_seq DESC LIMIT ?`,
    );
    this.countDeadLetters = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM outbox_dead_letters WHERE target = ?');
    this.deadLetterTargets = db.prepare<[], { target: string }>('SELECT DISTINCT target FROM outbox_dead_letters ORDER BY target');
    // The unique index energy_windows_identity (device_id, seq, seq_use).
    this.windowsWithSeq = db.prepare<[string, number], SameSeqRow>(
      `SELECT seq_use, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w, inference_count, start_stamped_by
       FROM energy_windows WHERE device_id = ? AND seq = ?`,
    );
    // An index range on (device_id, start_ms): windows that start after `from` and before `to`.
    this.deviceStampedStartingBetween = db.prepare<[string, number, number], SpanRow>(
      `SELECT seq, start_ms, duration_s FROM energy_windows
       WHERE device_id = ? AND start_ms > ? AND start_ms < ? AND start_stamped_by = 'device' ORDER BY start_ms`,
    );
    this.deviceBounds = db.prepare<[string], BoundsRow>(
      `SELECT a.max_seq, a.last_seen_ms, a.max_duration_s, a.instruments
       FROM devices d LEFT JOIN device_aggregates a ON a.device_id = d.id WHERE d.id = ?`,
    );
    this.listWindows = db.prepare<[string, number], WindowRow>(
      `SELECT ${WINDOW_COLUMNS} FROM energy_windows WHERE device_id = ? ORDER BY start_ms DESC, seq DESC, seq_use DESC LIMIT ?`,
    );
    // The partial index energy_windows_inference_spans: the device's inference spans only, newest first.
    this.listInferenceSpans = db.prepare<[string, number], WindowRow>(
      `SELECT ${WINDOW_COLUMNS} FROM energy_windows WHERE device_id = ? AND span = 'inferences'
       ORDER BY start_ms DESC, seq DESC, seq_use DESC LIMIT ?`,
    );
    // Keyset paging on the (device_id, start_ms) index: the row value (start, seq, seq use) orders windows totally.
    this.listWindowsInRange = db.prepare<[string, number, number, number, number, number, number], WindowRow & { seq_use: number }>(
      `SELECT ${WINDOW_COLUMNS}, seq_use
       FROM energy_windows WHERE device_id = ? AND start_ms >= ? AND start_ms < ? AND (start_ms, seq, seq_use) > (?, ?, ?)
       ORDER BY start_ms, seq, seq_use LIMIT ?`,
    );
    this.windowSeries = db.prepare<[number, number, number, number, string, number, number], SeriesRow>(
      // better-sqlite3 binds JS numbers as REAL: cast, so that the division truncates to the bucket.
      `SELECT CAST(? AS INTEGER) + (CAST(start_ms - ? AS INTEGER) / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS bucket_ms, count(*) AS windows, sum(energy_j) AS energy_j, sum(duration_s) AS observed_s,
         sum(inference_count) AS inferences, min(min_power_w) AS min_power_w, max(max_power_w) AS max_power_w
       FROM energy_windows WHERE device_id = ? AND start_ms >= ? AND start_ms < ?
       GROUP BY bucket_ms ORDER BY bucket_ms`,
    );
    this.getAggregate = db.prepare<[string], AggregateRow>(`SELECT ${AGGREGATE_COLUMNS} FROM device_aggregates WHERE device_id = ?`);
    this.upsertAggregate = db.prepare<AggregateParams>(
      `INSERT INTO device_aggregates (${AGGREGATE_COLUMNS}, max_duration_s)
       VALUES (${[...AGGREGATE_COLUMNS.split(', '), 'max_duration_s'].map(() => '?').join(', ')})
       ON CONFLICT (device_id) DO UPDATE SET
         energy_j = energy_j + excluded.energy_j,
         observed_s = observed_s + excluded.observed_s,
         windows = windows + excluded.windows,
         samples = samples + excluded.samples,
         inferences = inferences + excluded.inferences,
         min_power_w = ${nullableExtreme('min', 'min_power_w')},
         max_power_w = ${nullableExtreme('max', 'max_power_w')},
         max_seq = ${nullableExtreme('max', 'max_seq')},
         first_seen_ms = ${nullableExtreme('min', 'first_seen_ms')},
         last_seen_ms = ${nullableExtreme('max', 'last_seen_ms')},
         energy_sq_j2 = energy_sq_j2 + excluded.energy_sq_j2,
         energy_duration_js = energy_duration_js + excluded.energy_duration_js,
         duration_sq_s2 = duration_sq_s2 + excluded.duration_sq_s2,
         inference_span_windows = inference_span_windows + excluded.inference_span_windows,
         instruments = excluded.instruments,
         instrumented_s = instrumented_s + excluded.instrumented_s,
         max_duration_s = ${nullableExtreme('max', 'max_duration_s')}`,
    );
  }
}

export class SqliteStore implements Store, WindowOutbox {
  readonly kind = 'sqlite';
  private closed = false;
  private readonly statements: Statements;
  private readonly appendTx: (windows: readonly EnergyWindow[], options: AppendOptions) => AppendOutcome;
  /** appendInTransaction as a nested transaction (a SAVEPOINT): a throw undoes that request only. */
  private readonly appendSavepoint: (windows: readonly EnergyWindow[], options: AppendOptions) => AppendOutcome;
  private readonly groupTx: (requests: readonly AppendRequest[], valid: readonly number[], outcomes: (AppendGroupOutcome | undefined)[]) => void;
  private readonly updateTx: (id: string, patch: DevicePatch) => Device;
  private readonly ensureTx: (input: DeviceInput) => { device: Device; created: boolean };
  private readonly createManyTx: (params: readonly DeviceParams[], onExisting: 'fail' | 'skip') => { created: number; existing: string[] };
  /** What the append transaction under way inserted, as outbox entries: published to `commitListeners` once it committed. */
  private committing: OutboxEntry[] = [];
  private readonly commitListeners = new Set<(entries: readonly OutboxEntry[]) => void>();

  private constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number,
    /** null for ':memory:' (nothing to make durable). */
    private readonly wal: { sync: WalSync; close: () => void } | null,
    /** What opening did to the schema; its foreignKeyViolations are rows kept without their parent (migrations.ts). */
    readonly schemaMigration: MigrationOutcome,
  ) {
    this.statements = new Statements(db);
    // Write transactions are IMMEDIATE: they take the write lock up front, so a second connection waits
    // (busy_timeout) instead of failing with SQLITE_BUSY when upgrading a read lock.
    const append = db.transaction((windows: readonly EnergyWindow[], options: AppendOptions) => this.appendInTransaction(windows, options));
    this.appendTx = (windows, options) => this.publishing(() => append.immediate(windows, options));
    this.appendSavepoint = (windows, options) => {
      const mark = this.committing.length;
      try {
        return append(windows, options);
      } catch (error) {
        this.committing.length = mark; // the SAVEPOINT rolled back: its commit numbers are taken again
        throw error;
      }
    };
    const group = db.transaction((requests: readonly AppendRequest[], valid: readonly number[], outcomes: (AppendGroupOutcome | undefined)[]) =>
      this.groupInTransaction(requests, valid, outcomes),
    );
    this.groupTx = (requests, valid, outcomes) => this.publishing(() => group.immediate(requests, valid, outcomes));
    const update = db.transaction((id: string, patch: DevicePatch) => this.updateInTransaction(id, patch));
    this.updateTx = (id, patch) => update.immediate(id, patch);
    const ensure = db.transaction((input: DeviceInput) => this.ensureInTransaction(input));
    this.ensureTx = (input) => ensure.immediate(input);
    const createMany = db.transaction((params: readonly DeviceParams[], onExisting: 'fail' | 'skip') => {
      const existing = params.filter((param) => this.statements.insertDevice.run(param).changes === 0).map((param) => param.id);
      if (existing.length > 0 && onExisting === 'fail') {
        throw new ConflictError(
          `${existing.length} device${existing.length === 1 ? '' : 's'} exist already: ${existing.slice(0, 10).join(', ')}${existing.length > 10 ? ', …' : ''}`,
        );
      }
      return { created: params.length - existing.length, existing };
    });
    this.createManyTx = (params, onExisting) => createMany.immediate(params, onExisting);
  }

  /** Open (creating it and its directory if needed) and migrate the database at `file`. */
  static open(file: string | ':memory:', options: SqliteStoreOptions = {}): SqliteStore {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    let wal: { sync: WalSync; close: () => void } | null = null;
    try {
      db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      db.pragma('journal_mode = WAL'); // ':memory:' stays 'memory', which is fine
      // Migrations under FULL; then NORMAL plus our own fdatasync of the WAL before each write resolves (file comment).
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      const schemaMigration = migrate(db);
      if (file !== ':memory:') {
        // A migration that rebuilt a table left its new pages in the WAL (as large as the table); without this the
        // file stays that size for the process's life (checkpoints reuse it, never shrink it).
        if (schemaMigration.to !== schemaMigration.from) db.pragma('wal_checkpoint(TRUNCATE)');
        const { syncFile, close } = (options.openWalSync ?? openWalSyncFile)(file);
        wal = { sync: new WalSync(syncFile), close };
        db.pragma('synchronous = NORMAL');
      }
      return new SqliteStore(db, options.clock ?? Date.now, wal, schemaMigration);
    } catch (error) {
      wal?.close();
      db.close();
      throw error;
    }
  }

  async createDevice(input: DeviceInput): Promise<Device> {
    this.assertWritable();
    const params = this.newDeviceParams(input);
    if (this.statements.insertDevice.run(params).changes === 0) {
      await this.durable(); // the device found may be another call's creation that is not durable yet
      throw new ConflictError(`device ${JSON.stringify(input.id)} already exists`);
    }
    await this.durable();
    return deviceFromParams(params);
  }

  async createDevices(inputs: readonly DeviceInput[], options: { onExisting?: 'fail' | 'skip' } = {}): Promise<{ created: number; existing: string[] }> {
    this.assertWritable();
    const params = inputs.map((input, index) => {
      try {
        return this.newDeviceParams(input);
      } catch (error) {
        if (error instanceof ValidationError) throw new ValidationError(`devices[${index}]: ${error.message}`, error.details);
        throw error;
      }
    });
    const seen = new Set<string>();
    const repeated = params.filter((param) => seen.size === seen.add(param.id).size).map((param) => param.id);
    if (repeated.length > 0) throw new ValidationError(`device ids given more than once: ${[...new Set(repeated)].slice(0, 10).join(', ')}`);
    let created: { created: number; existing: string[] };
    try {
      created = this.createManyTx(params, options.onExisting ?? 'fail');
    } catch (error) {
      if (error instanceof ConflictError) await this.durable(); // as in createDevice: a 409 names only durable devices
      throw error;
    }
    await this.durable();
    return created;
  }

  async updateDevice(id: string, patch: DevicePatch): Promise<Device> {
    this.assertWritable();
    const device = this.updateTx(id, patch);
    await this.durable();
    return device;
  }

  async ensureDevice(input: DeviceInput): Promise<{ device: Device; created: boolean }> {
    this.assertWritable();
    const ensured = this.ensureTx(input);
    await this.durable(); // also when another call created it: that creation may not be durable yet
    return ensured;
  }

  /**
   * Make the device exactly `device`, its createdAt and updatedAt included (a registry entry replicated from another
   * instance, docs/fleet-truth.md): inserted when absent, overwritten when present. ValidationError for a bad spec.
   */
  async replaceDevice(device: Device): Promise<void> {
    this.assertWritable();
    const params: DeviceParams = {
      id: device.id,
      name: device.name,
      fleet: device.fleet,
      deployed_at: device.deployedAt,
      ...specColumns(device.spec),
      created_at: device.createdAt,
      updated_at: device.updatedAt,
    };
    const { created_at: _createdAt, ...update } = params;
    this.db.transaction(() => {
      if (this.statements.insertDevice.run(params).changes === 0) this.statements.updateDevice.run(update);
    })();
    await this.durable();
  }

  async getDevice(id: string): Promise<Device | undefined> {
    this.assertOpen();
    const row = this.statements.getDevice.get(id);
    return row === undefined ? undefined : deviceFromRow(row);
  }

  async listDevices(query: ListDevicesQuery): Promise<Device[]> {
    this.assertOpen();
    const { limit, offset } = checkPage(query);
    const rows =
      query.fleet === undefined ? this.statements.listDevices.all(limit, offset) : this.statements.listDevicesInFleet.all(query.fleet, limit, offset);
    return rows.map(deviceFromRow);
  }

  async countDevices(fleet?: string): Promise<number> {
    this.assertOpen();
    const row = fleet === undefined ? this.statements.countDevices.get() : this.statements.countDevicesInFleet.get(fleet);
    return row?.n ?? 0;
  }

  async appendWindows(windows: readonly EnergyWindow[], options: AppendOptions = {}): Promise<AppendResult> {
    this.assertWritable();
    if (windows.length === 0) return { inserted: 0, duplicates: 0, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: {} };
    windows.forEach(checkWindow);
    const result = resultOf(windows, this.appendTx(windows, options), 0);
    await this.durable();
    return result;
  }

  /**
   * The group's transaction runs within this call, before it returns its promise; the promise resolves once that
   * commit is durable (the WAL's fdatasync on the thread pool). So a caller may start the next group's transaction
   * while the previous one's sync runs: IngestService does, up to INGEST_COMMITS_IN_SYNC at once.
   */
  async appendWindowGroups(requests: readonly AppendRequest[]): Promise<AppendGroupOutcome[]> {
    this.assertWritable();
    const outcomes: (AppendGroupOutcome | undefined)[] = requests.map(() => undefined);
    const valid: number[] = [];
    requests.forEach((request, index) => {
      try {
        request.windows.forEach(checkWindow);
      } catch (error) {
        outcomes[index] = { ok: false, error: error as Error };
        return;
      }
      if (request.windows.length === 0) outcomes[index] = { ok: true, result: resultOf([], { outcomes: new Uint8Array(0), refused: [] }, 0) };
      else valid.push(index);
    });
    if (valid.length > 0) {
      this.groupTx(requests, valid, outcomes);
      await this.durable();
    }
    return outcomes.map((outcome) => outcome ?? { ok: false, error: new Error('request not judged') });
  }

  async getAggregate(deviceId: string): Promise<DeviceAggregate | undefined> {
    this.assertOpen();
    const row = this.statements.getAggregate.get(deviceId);
    return row === undefined ? undefined : aggregateFromRow(row);
  }

  async listWindows(deviceId: string, limit: number): Promise<EnergyWindow[]> {
    this.assertOpen();
    checkCount('limit', limit);
    return this.statements.listWindows.all(deviceId, limit).map(windowFromRow);
  }

  async listInferenceSpans(deviceId: string, limit: number): Promise<EnergyWindow[]> {
    this.assertOpen();
    checkCount('limit', limit);
    return this.statements.listInferenceSpans.all(deviceId, limit).map(windowFromRow);
  }

  async listWindowsInRange(deviceId: string, query: WindowRangeQuery): Promise<{ windows: EnergyWindow[]; next: WindowCursor | null }> {
    this.assertOpen();
    checkCount('limit', query.limit);
    checkRange(query.fromMs, query.toMs);
    const after = query.after ?? { startMs: Number.MIN_SAFE_INTEGER, seq: -1, seqUse: -1 };
    const rows = this.statements.listWindowsInRange.all(deviceId, query.fromMs, query.toMs, after.startMs, after.seq, after.seqUse, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const next = rows.length > query.limit && last !== undefined ? { startMs: last.start_ms, seq: last.seq, seqUse: last.seq_use } : null;
    return { windows: page.map(windowFromRow), next };
  }

  async windowSeries(deviceId: string, query: { fromMs: number; toMs: number; stepMs: number }): Promise<SeriesBucket[]> {
    this.assertOpen();
    checkRange(query.fromMs, query.toMs);
    if (!Number.isSafeInteger(query.stepMs) || query.stepMs < 1) throw new ValidationError('stepMs must be a positive integer');
    const { fromMs, toMs, stepMs } = query;
    return this.statements.windowSeries.all(fromMs, fromMs, stepMs, stepMs, deviceId, fromMs, toMs).map((row) => ({
      startMs: row.bucket_ms,
      windows: row.windows,
      energyJ: row.energy_j,
      observedS: row.observed_s,
      inferences: row.inferences,
      minPowerW: row.min_power_w,
      maxPowerW: row.max_power_w,
    }));
  }

  async listDevicesWithAggregates(query: ListAggregatesQuery): Promise<DeviceWithAggregate[]> {
    this.assertOpen();
    const { limit, offset } = checkPage(query);
    const { statements } = this;
    const { fleet, afterId } = query;
    const rows =
      afterId === undefined
        ? fleet === undefined
          ? statements.listDevicesWithAggregates.all(limit, offset)
          : statements.listDevicesWithAggregatesInFleet.all(fleet, limit, offset)
        : fleet === undefined
          ? statements.listDevicesWithAggregatesAfter.all(afterId, limit, offset)
          : statements.listDevicesWithAggregatesInFleetAfter.all(fleet, afterId, limit, offset);
    return rows.map((row) => ({ device: deviceFromRow(row), aggregate: joinedAggregate(row) }));
  }

  async readOutbox(afterCommitSeq: number, limit: number): Promise<OutboxEntry[]> {
    this.assertOpen();
    checkCount('limit', limit);
    return this.statements.readOutbox.all(afterCommitSeq, limit).map((row) => ({
      commitSeq: row.commit_seq,
      receivedMs: row.received_ms,
      window: { ...windowFromRow(row), seqUse: row.seq_use },
    }));
  }

  async outboxHead(): Promise<number> {
    this.assertOpen();
    return this.statements.outboxHead.get()?.head ?? 0;
  }

  async outboxCursor(target: string): Promise<number> {
    this.assertOpen();
    return this.statements.outboxCursor.get(target)?.commit_seq ?? 0;
  }

  async setOutboxCursor(target: string, commitSeq: number): Promise<void> {
    this.assertWritable();
    if (!Number.isSafeInteger(commitSeq) || commitSeq < 0) throw new ValidationError(`outbox cursor must be a non-negative integer, got ${commitSeq}`);
    this.statements.setOutboxCursor.run(target, commitSeq);
    await this.durable();
  }

  async addDeadLetters(target: string, letters: readonly DeadLetter[]): Promise<Set<number>> {
    this.assertWritable();
    const added = this.db.transaction(() => {
      const added = new Set<number>();
      for (const letter of letters) {
        if (this.statements.addDeadLetter.run(target, letter.commitSeq, letter.reason, letter.detail, letter.refusedMs).changes > 0)
          added.add(letter.commitSeq);
      }
      return added;
    })();
    await this.durable();
    return added;
  }

  async listDeadLetters(target: string, limit: number): Promise<{ total: number; letters: (DeadLetter & { window: StoredWindow })[] }> {
    this.assertOpen();
    checkCount('limit', limit);
    const letters = this.statements.listDeadLetters.all(target, limit).map((row) => ({
      commitSeq: row.commit_seq,
      reason: row.reason,
      detail: row.detail,
      refusedMs: row.refused_ms,
      window: { ...windowFromRow(row), seqUse: row.seq_use },
    }));
    return { total: this.statements.countDeadLetters.get(target)?.n ?? 0, letters };
  }

  /** The targets that have dead letters. */
  async deadLetterTargets(): Promise<string[]> {
    this.assertOpen();
    return this.statements.deadLetterTargets.all().map((row) => row.target);
  }

  onCommitted(listener: (entries: readonly OutboxEntry[]) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.assertOpen();
    this.closed = true;
    this.commitListeners.clear();
    if (this.wal !== null) {
      // After the fdatasyncs under way (they use the descriptor); closing checkpoints the WAL with its own syncs.
      await this.wal.sync.sync().catch(() => undefined);
      this.wal.close();
    }
    this.db.close();
  }

  /** Run an append transaction; once it committed, hand what it inserted to the commit listeners (nothing if it threw). */
  private publishing<T>(transaction: () => T): T {
    this.committing = [];
    let entries: OutboxEntry[];
    let result: T;
    try {
      result = transaction();
      entries = this.committing;
    } finally {
      this.committing = [];
    }
    if (entries.length > 0) for (const listener of this.commitListeners) listener(entries);
    return result;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  /** Open, and no fdatasync of the WAL failed (after one, nothing written is known to be durable: wal-sync.ts). */
  private assertWritable(): void {
    this.assertOpen();
    const failure = this.wal?.sync.failure ?? null;
    if (failure !== null) throw failure;
  }

  /** Resolves once what was committed so far is on disk. */
  private durable(): Promise<void> {
    return this.wal === null ? Promise.resolve() : this.wal.sync.sync();
  }

  private newDeviceParams(input: DeviceInput): DeviceParams {
    if (typeof input.id !== 'string' || input.id.length === 0) {
      throw new ValidationError('device id must be a non-empty string');
    }
    const timestamp = new Date(this.clock()).toISOString();
    return {
      id: input.id,
      name: input.name ?? input.id,
      fleet: input.fleet ?? null,
      deployed_at: input.deployedAt ?? null,
      ...specColumns(input.spec),
      created_at: timestamp,
      updated_at: timestamp,
    };
  }

  private ensureInTransaction(input: DeviceInput): { device: Device; created: boolean } {
    const params = this.newDeviceParams(input);
    if (this.statements.insertDevice.run(params).changes === 1) {
      return { device: deviceFromParams(params), created: true };
    }
    const existing = this.statements.getDevice.get(input.id);
    if (existing === undefined) throw new Error(`device ${JSON.stringify(input.id)} neither inserted nor found`);
    return { device: deviceFromRow(existing), created: false };
  }

  private updateInTransaction(id: string, patch: DevicePatch): Device {
    const row = this.statements.getDevice.get(id);
    if (row === undefined) throw new NotFoundError(`device ${JSON.stringify(id)} not found`);
    const current = deviceFromRow(row);
    // Shallow merge; a key whose value is undefined means "not given", as for the other patch fields.
    const spec: DeviceSpec = { ...current.spec, ...definedEntries(patch.spec ?? {}) };
    const params: DeviceParams = {
      id,
      name: patch.name ?? current.name,
      fleet: patch.fleet === undefined ? current.fleet : patch.fleet,
      deployed_at: patch.deployedAt === undefined ? current.deployedAt : patch.deployedAt,
      ...specColumns(spec),
      created_at: current.createdAt,
      updated_at: new Date(this.clock()).toISOString(),
    };
    const { created_at: _createdAt, ...update } = params;
    this.statements.updateDevice.run(update);
    return deviceFromParams(params);
  }

  /**
   * One transaction for the group. Consecutive 'skip' requests (MQTT, serial) are judged as one batch, as if one
   * appendWindows call had carried them all (the same verdicts: each window is judged against everything before it),
   * and the verdicts are split back per request; a refuse-batch request (HTTP) runs in its own SAVEPOINT, so its
   * refusal undoes that request only. A run naming an unknown device is retried request by request, so that only the
   * request naming it fails. Any other throw rolls the whole group back.
   */
  private groupInTransaction(requests: readonly AppendRequest[], valid: readonly number[], outcomes: (AppendGroupOutcome | undefined)[]): void {
    let run: number[] = [];
    const flushRun = (): void => {
      if (run.length === 0) return;
      const members = run;
      run = [];
      if (members.length === 1) {
        this.appendAlone(requests, members[0] as number, outcomes);
        return;
      }
      const windows = members.flatMap((index) => (requests[index] as AppendRequest).windows);
      let outcome: AppendOutcome;
      try {
        outcome = this.appendSavepoint(windows, {});
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        for (const index of members) this.appendAlone(requests, index, outcomes);
        return;
      }
      let offset = 0;
      for (const index of members) {
        const request = requests[index] as AppendRequest;
        outcomes[index] = { ok: true, result: resultOf(request.windows, outcome, offset) };
        offset += request.windows.length;
      }
    };
    for (const index of valid) {
      if ((requests[index] as AppendRequest).options?.onRefusal === 'refuse-batch') {
        flushRun();
        this.appendAlone(requests, index, outcomes);
      } else {
        run.push(index);
      }
    }
    flushRun();
  }

  /** One request in its own SAVEPOINT: a refusal or an unknown device is its outcome and undoes nothing else. */
  private appendAlone(requests: readonly AppendRequest[], index: number, outcomes: (AppendGroupOutcome | undefined)[]): void {
    const request = requests[index] as AppendRequest;
    try {
      outcomes[index] = { ok: true, result: resultOf(request.windows, this.appendSavepoint(request.windows, request.options ?? {}), 0) };
    } catch (error) {
      if (!(error instanceof WindowRefusedError) && !(error instanceof NotFoundError)) throw error;
      outcomes[index] = { ok: false, error };
    }
  }

  /**
   * Runs inside the IMMEDIATE transaction, window by window in batch order, so that each window is judged against
   * everything stored before it, this batch's earlier windows included: a redelivery of a stored window (isSameWindow)
   * changes nothing, an overlap is refused, anything else is stored, also under a seq already stored (a seq reset).
   * Throwing (WindowRefusedError in refuse-batch mode) rolls it all back.
   */
  private appendInTransaction(windows: readonly EnergyWindow[], options: AppendOptions): AppendOutcome {
    // Check every device before inserting anything (the throw also rolls back, but nothing should be written).
    const boundsByDevice = new Map<string, DeviceBounds>();
    for (const deviceId of new Set(windows.map((window) => window.deviceId))) {
      const row = this.statements.deviceBounds.get(deviceId);
      if (row === undefined) throw new NotFoundError(`device ${JSON.stringify(deviceId)} not found`);
      boundsByDevice.set(deviceId, {
        maxSeq: row.max_seq ?? -1,
        lastEndMs: row.last_seen_ms ?? Number.NEGATIVE_INFINITY,
        maxDurationS: row.max_duration_s ?? 0,
        instruments: instrumentsFromColumn(row.instruments),
      });
    }
    const receivedMs = this.clock();
    // Read inside the IMMEDIATE transaction (the write lock is held): numbers stay consecutive across processes.
    let commitSeq = this.statements.outboxHead.get()?.head ?? 0;
    const deltas = new Map<string, AggregateDelta>();
    const outcomes = new Uint8Array(windows.length); // VERDICT_DUPLICATE (0) until judged otherwise
    const refused: RefusedWindow[] = [];
    windows.forEach((window, index) => {
      const bounds = boundsByDevice.get(window.deviceId) as DeviceBounds;
      const sameSeq = window.seq > bounds.maxSeq ? NO_ROWS : this.statements.windowsWithSeq.all(window.deviceId, window.seq);
      if (sameSeq.some((row) => isSameWindow(contentFromRow(window.seq, row), window))) return; // duplicate: changes nothing
      const overlapped = window.startMs >= bounds.lastEndMs ? undefined : this.overlappedWindow(window, bounds.maxDurationS);
      if (overlapped !== undefined) {
        refused.push({ index, deviceId: window.deviceId, seq: window.seq, reason: 'overlap', detail: overlapDetail(window, overlapped) });
        outcomes[index] = VERDICT_REFUSED;
        return;
      }
      const seqUse = sameSeq.reduce((next, row) => Math.max(next, row.seq_use + 1), 0);
      const stamp = startStamp(window);
      const instrument = window.instrument ?? null;
      const span = window.span ?? 'time';
      commitSeq += 1;
      this.statements.insertWindow.run(
        window.deviceId,
        window.seq,
        window.startMs,
        window.durationS,
        window.energyJ,
        window.sampleCount,
        window.minPowerW,
        window.maxPowerW,
        window.inferenceCount,
        window.source,
        receivedMs,
        stamp,
        seqUse,
        instrument,
        span,
        commitSeq,
      );
      if (this.commitListeners.size > 0) {
        // What readOutbox returns for this row (windowFromRow's form), built from the values just bound.
        const stored: StoredWindow = {
          deviceId: window.deviceId,
          seq: window.seq,
          startMs: window.startMs,
          durationS: window.durationS,
          energyJ: window.energyJ,
          sampleCount: window.sampleCount,
          minPowerW: window.minPowerW,
          maxPowerW: window.maxPowerW,
          inferenceCount: window.inferenceCount,
          source: window.source,
          startStampedBy: stamp,
          ...(instrument !== null && isInstrumentId(instrument) ? { instrument } : {}),
          ...(span === 'inferences' ? { span } : {}),
          seqUse,
        };
        this.committing.push({ commitSeq, receivedMs, window: stored });
      }
      outcomes[index] = sameSeq.length > 0 ? VERDICT_SEQ_RESET : VERDICT_INSERTED;
      bounds.maxSeq = Math.max(bounds.maxSeq, window.seq);
      bounds.lastEndMs = Math.max(bounds.lastEndMs, window.startMs + window.durationS * 1000);
      bounds.maxDurationS = Math.max(bounds.maxDurationS, window.durationS);
      if (window.instrument !== undefined) bounds.instruments = mergeInstruments(bounds.instruments, [window.instrument]);
      const delta = deltas.get(window.deviceId);
      deltas.set(window.deviceId, {
        totals: addWindow(delta?.totals ?? EMPTY_WINDOW_TOTALS, window),
        maxDurationS: Math.max(delta?.maxDurationS ?? 0, window.durationS),
      });
    });
    if (refused.length > 0 && options.onRefusal === 'refuse-batch') throw new WindowRefusedError(refused);
    for (const [deviceId, delta] of deltas) {
      const instruments = (boundsByDevice.get(deviceId) as DeviceBounds).instruments;
      this.statements.upsertAggregate.run(...aggregateParams(deviceId, delta, instruments));
    }
    return { outcomes, refused };
  }

  /**
   * A stored window of the same device that `window` overlaps (window-identity.ts), if any. Only windows starting
   * within the device's longest window before `window` can reach into it, so the index range stays a few rows long.
   */
  private overlappedWindow(window: EnergyWindow, maxDurationS: number): Pick<EnergyWindow, 'seq' | 'startMs' | 'durationS'> | undefined {
    if (startStamp(window) !== 'device') return undefined;
    const fromMs = window.startMs - maxDurationS * 1000;
    const toMs = window.startMs + window.durationS * 1000;
    for (const row of this.statements.deviceStampedStartingBetween.all(window.deviceId, fromMs, toMs)) {
      const stored = { seq: row.seq, startMs: row.start_ms, durationS: row.duration_s, startStampedBy: 'device' as const };
      if (overlaps(window, stored)) return stored;
    }
    return undefined;
  }
}

const NO_ROWS: readonly SameSeqRow[] = [];

/** Verdicts per window of one transaction's batch (AppendOutcome.outcomes). */
const VERDICT_DUPLICATE = 0;
const VERDICT_INSERTED = 1;
const VERDICT_SEQ_RESET = 2;
const VERDICT_REFUSED = 3;

interface AppendOutcome {
  /** One verdict per window of the batch, in batch order. */
  outcomes: Uint8Array;
  /** The refused windows, indexed in the batch. */
  refused: RefusedWindow[];
}

/** The AppendResult of `windows`, the part of a judged batch that starts at `offset` (refusals re-indexed to it). */
function resultOf(windows: readonly EnergyWindow[], outcome: AppendOutcome, offset: number): AppendResult {
  const insertedByDevice: Record<string, number> = {};
  let inserted = 0;
  let duplicates = 0;
  let seqResets = 0;
  windows.forEach((window, index) => {
    const verdict = outcome.outcomes[offset + index];
    if (verdict === VERDICT_DUPLICATE) duplicates += 1;
    if (verdict !== VERDICT_INSERTED && verdict !== VERDICT_SEQ_RESET) return;
    if (verdict === VERDICT_SEQ_RESET) seqResets += 1;
    inserted += 1;
    insertedByDevice[window.deviceId] = (insertedByDevice[window.deviceId] ?? 0) + 1;
  });
  const refused = outcome.refused
    .filter((refusal) => refusal.index >= offset && refusal.index < offset + windows.length)
    .map((refusal) => (offset === 0 ? refusal : { ...refusal, index: refusal.index - offset }));
  const overlapCount = refused.filter((refusal) => refusal.reason === 'overlap').length;
  return { inserted, duplicates, seqResets, overlaps: overlapCount, refused, insertedByDevice };
}

function contentFromRow(seq: number, row: SameSeqRow): WindowContent {
  return {
    seq,
    startMs: row.start_ms,
    durationS: row.duration_s,
    energyJ: row.energy_j,
    sampleCount: row.sample_count,
    minPowerW: row.min_power_w,
    maxPowerW: row.max_power_w,
    inferenceCount: row.inference_count,
    startStampedBy: row.start_stamped_by,
  };
}

/** A transaction's delta as the upsert's parameters; `instruments` is the merged whole (stored and this batch's). */
function aggregateParams(deviceId: string, { totals, maxDurationS }: AggregateDelta, instruments: readonly InstrumentId[]): AggregateParams {
  return [
    deviceId,
    totals.energyJ,
    totals.observedS,
    totals.windows,
    totals.samples,
    totals.inferences,
    totals.minPowerW,
    totals.maxPowerW,
    totals.maxSeq,
    totals.firstSeenMs,
    totals.lastSeenMs,
    totals.energySquaresJ2,
    totals.energyDurationJS,
    totals.durationSquaresS2,
    totals.inferenceSpanWindows,
    instruments.join(','),
    totals.instrumentedS,
    maxDurationS,
  ];
}

/** The comma-separated column as a list; an id this version does not know (a newer writer) is left out. */
function instrumentsFromColumn(column: string | null): InstrumentId[] {
  if (column === null || column === '') return [];
  return column.split(',').filter(isInstrumentId);
}

function definedEntries<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The spec as JSON plus its queryable columns. Checks only what the NOT NULL columns need. */
function specColumns(spec: DeviceSpec): Pick<DeviceParams, 'system' | 'training' | 'grid' | 'lifetime_years' | 'spec_json'> {
  const problems: string[] = [];
  if (typeof spec !== 'object' || spec === null) throw new ValidationError('device spec must be an object');
  if (typeof spec.system !== 'string' && (typeof spec.system !== 'object' || spec.system === null)) {
    problems.push('spec.system must be a preset id or a custom system object');
  }
  if (typeof spec.training !== 'string') problems.push('spec.training must be a string');
  if (typeof spec.grid !== 'string') problems.push('spec.grid must be a string');
  if (typeof spec.lifetimeYears !== 'number' || !Number.isFinite(spec.lifetimeYears)) {
    problems.push('spec.lifetimeYears must be a finite number');
  }
  if (problems.length > 0) throw new ValidationError('invalid device spec', problems);
  return {
    system: typeof spec.system === 'string' ? spec.system : CUSTOM_SYSTEM_COLUMN,
    training: spec.training,
    grid: spec.grid,
    lifetime_years: spec.lifetimeYears,
    spec_json: JSON.stringify(spec),
  };
}

/**
 * Only what protects the integrity of the stored windows and the aggregates built from them: the shape of a window
 * (domain/window-plausibility.ts, the same function the ingest path applies), because the store is called directly
 * too (tests, measure, a future importer) and a NaN, a negative energy or a fractional count would stay in the
 * running aggregate for good. Plausibility (clocks, physics) is the ingest path's rule, not the store's.
 */
function checkWindow(window: EnergyWindow, index: number): void {
  const problems = windowShapeProblems(window, `windows[${index}]`);
  if (problems.length > 0) throw new ValidationError('invalid energy window', problems);
}

/** SQLite treats a negative LIMIT as "no limit": refuse it rather than return everything. */
function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(`${name} must be a non-negative integer`);
}

function checkRange(fromMs: number, toMs: number): void {
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs)) throw new ValidationError('fromMs and toMs must be integers (Unix ms)');
  if (fromMs > toMs) throw new ValidationError(`fromMs (${fromMs}) is after toMs (${toMs})`);
}

function checkPage(query: ListDevicesQuery): { limit: number; offset: number } {
  checkCount('limit', query.limit);
  checkCount('offset', query.offset);
  return { limit: query.limit, offset: query.offset };
}

function deviceFromRow(row: DeviceRow): Device {
  return {
    id: row.id,
    name: row.name,
    fleet: row.fleet,
    deployedAt: row.deployed_at,
    spec: JSON.parse(row.spec_json) as DeviceSpec,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Parses spec_json back so the returned device is exactly what getDevice will return later. */
function deviceFromParams(params: DeviceParams): Device {
  return deviceFromRow(params);
}

function aggregateFromRow(row: AggregateRow): DeviceAggregate {
  return {
    deviceId: row.device_id,
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
    instruments: instrumentsFromColumn(row.instruments),
    instrumentedS: row.instrumented_s,
  };
}

function joinedAggregate(row: DeviceAggregateRow): DeviceAggregate | undefined {
  if (row.agg_device_id === null) return undefined;
  return {
    deviceId: row.agg_device_id,
    energyJ: row.agg_energy_j ?? 0,
    observedS: row.agg_observed_s ?? 0,
    windows: row.agg_windows ?? 0,
    samples: row.agg_samples ?? 0,
    inferences: row.agg_inferences ?? 0,
    minPowerW: row.agg_min_power_w,
    maxPowerW: row.agg_max_power_w,
    maxSeq: row.agg_max_seq,
    firstSeenMs: row.agg_first_seen_ms,
    lastSeenMs: row.agg_last_seen_ms,
    energySquaresJ2: row.agg_energy_sq_j2 ?? 0,
    energyDurationJS: row.agg_energy_duration_js ?? 0,
    durationSquaresS2: row.agg_duration_sq_s2 ?? 0,
    inferenceSpanWindows: row.agg_inference_span_windows ?? 0,
    instruments: instrumentsFromColumn(row.agg_instruments),
    instrumentedS: row.agg_instrumented_s ?? 0,
  };
}

function windowFromRow(row: WindowRow): EnergyWindow {
  return {
    deviceId: row.device_id,
    seq: row.seq,
    startMs: row.start_ms,
    durationS: row.duration_s,
    energyJ: row.energy_j,
    sampleCount: row.sample_count,
    minPowerW: row.min_power_w,
    maxPowerW: row.max_power_w,
    inferenceCount: row.inference_count,
    source: row.source,
    startStampedBy: row.start_stamped_by,
    ...(row.instrument !== null && isInstrumentId(row.instrument) ? { instrument: row.instrument } : {}),
    ...(row.span === 'inferences' ? { span: row.span } : {}),
  };
}
