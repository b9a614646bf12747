/**
 * The SQLite implementation of Store (better-sqlite3, synchronous under an async facade).
 * Durability: windows are acknowledged to MQTT (and to HTTP clients) only after appendWindows resolves, so a
 * committed transaction must survive a power cut. Hence WAL with `synchronous = FULL` (fsync of the WAL at every
 * commit); `NORMAL` could lose the last acknowledged transactions on power loss.
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
import { addWindow, EMPTY_WINDOW_TOTALS, type WindowTotals } from '../../domain/window-totals.js';
import type { DeviceWithAggregate, ListAggregatesQuery, ListDevicesQuery, Store } from '../store.js';
import { migrate } from './migrations.js';

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

interface WindowParams {
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
  received_ms: number;
  start_stamped_by: StartStamp;
  seq_use: number;
}

/** The aggregate columns plus max_duration_s, which only the overlap check reads (not part of DeviceAggregate). */
interface AggregateParams extends AggregateRow {
  max_duration_s: number;
}

/** What one transaction adds to a device's aggregate row (merged into it by the upsert). */
interface AggregateDelta {
  totals: WindowTotals;
  maxDurationS: number;
}

const DEVICE_COLUMNS = 'd.id, d.name, d.fleet, d.deployed_at, d.spec_json, d.created_at, d.updated_at';
const AGGREGATE_COLUMNS = 'device_id, energy_j, observed_s, windows, samples, inferences, min_power_w, max_power_w, max_seq, first_seen_ms, last_seen_ms';
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
  readonly getAggregate;
  readonly upsertAggregate;

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
    this.insertWindow = db.prepare<[WindowParams]>(
      `INSERT INTO energy_windows (device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w,
         inference_count, source, received_ms, start_stamped_by, seq_use)
       VALUES (@device_id, @seq, @start_ms, @duration_s, @energy_j, @sample_count, @min_power_w, @max_power_w,
         @inference_count, @source, @received_ms, @start_stamped_by, @seq_use)`,
    );
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
      `SELECT a.max_seq, a.last_seen_ms, a.max_duration_s
       FROM devices d LEFT JOIN device_aggregates a ON a.device_id = d.id WHERE d.id = ?`,
    );
    this.listWindows = db.prepare<[string, number], WindowRow>(
      `SELECT device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w, inference_count, source,
         start_stamped_by
       FROM energy_windows WHERE device_id = ? ORDER BY start_ms DESC, seq DESC, seq_use DESC LIMIT ?`,
    );
    this.getAggregate = db.prepare<[string], AggregateRow>(`SELECT ${AGGREGATE_COLUMNS} FROM device_aggregates WHERE device_id = ?`);
    this.upsertAggregate = db.prepare<[AggregateParams]>(
      `INSERT INTO device_aggregates (${AGGREGATE_COLUMNS}, max_duration_s)
       VALUES (@device_id, @energy_j, @observed_s, @windows, @samples, @inferences, @min_power_w, @max_power_w, @max_seq,
         @first_seen_ms, @last_seen_ms, @max_duration_s)
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
         max_duration_s = ${nullableExtreme('max', 'max_duration_s')}`,
    );
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private closed = false;
  private readonly statements: Statements;
  private readonly appendTx: (windows: readonly EnergyWindow[], options: AppendOptions) => AppendOutcome;
  private readonly updateTx: (id: string, patch: DevicePatch) => Device;
  private readonly ensureTx: (input: DeviceInput) => { device: Device; created: boolean };

  private constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number,
  ) {
    this.statements = new Statements(db);
    // Write transactions are IMMEDIATE: they take the write lock up front, so a second connection waits
    // (busy_timeout) instead of failing with SQLITE_BUSY when upgrading a read lock.
    const append = db.transaction((windows: readonly EnergyWindow[], options: AppendOptions) => this.appendInTransaction(windows, options));
    this.appendTx = (windows, options) => append.immediate(windows, options);
    const update = db.transaction((id: string, patch: DevicePatch) => this.updateInTransaction(id, patch));
    this.updateTx = (id, patch) => update.immediate(id, patch);
    const ensure = db.transaction((input: DeviceInput) => this.ensureInTransaction(input));
    this.ensureTx = (input) => ensure.immediate(input);
  }

  /** Open (creating it and its directory if needed) and migrate the database at `file`. */
  static open(file: string | ':memory:', options: SqliteStoreOptions = {}): SqliteStore {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      db.pragma('journal_mode = WAL'); // ':memory:' stays 'memory', which is fine
      // FULL, not NORMAL: acknowledged windows must survive power loss (see the file comment).
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db);
      return new SqliteStore(db, options.clock ?? Date.now);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async createDevice(input: DeviceInput): Promise<Device> {
    this.assertOpen();
    const params = this.newDeviceParams(input);
    if (this.statements.insertDevice.run(params).changes === 0) {
      throw new ConflictError(`device ${JSON.stringify(input.id)} already exists`);
    }
    return deviceFromParams(params);
  }

  async updateDevice(id: string, patch: DevicePatch): Promise<Device> {
    this.assertOpen();
    return this.updateTx(id, patch);
  }

  async ensureDevice(input: DeviceInput): Promise<{ device: Device; created: boolean }> {
    this.assertOpen();
    return this.ensureTx(input);
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
    this.assertOpen();
    if (windows.length === 0) return { inserted: 0, duplicates: 0, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: {} };
    windows.forEach(checkWindow);
    const { insertedByDevice, refused, seqResets } = this.appendTx(windows, options);
    const inserted = Object.values(insertedByDevice).reduce((sum, count) => sum + count, 0);
    const overlapCount = refused.filter((window) => window.reason === 'overlap').length;
    return { inserted, duplicates: windows.length - inserted - refused.length, seqResets, overlaps: overlapCount, refused, insertedByDevice };
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

  async close(): Promise<void> {
    this.assertOpen();
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
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
      });
    }
    const receivedMs = this.clock();
    const deltas = new Map<string, AggregateDelta>();
    const insertedByDevice: Record<string, number> = {};
    const refused: RefusedWindow[] = [];
    let seqResets = 0;
    windows.forEach((window, index) => {
      const bounds = boundsByDevice.get(window.deviceId) as DeviceBounds;
      const sameSeq = window.seq > bounds.maxSeq ? NO_ROWS : this.statements.windowsWithSeq.all(window.deviceId, window.seq);
      if (sameSeq.some((row) => isSameWindow(contentFromRow(window.seq, row), window))) return; // duplicate: changes nothing
      const overlapped = window.startMs >= bounds.lastEndMs ? undefined : this.overlappedWindow(window, bounds.maxDurationS);
      if (overlapped !== undefined) {
        refused.push({ index, deviceId: window.deviceId, seq: window.seq, reason: 'overlap', detail: overlapDetail(window, overlapped) });
        return;
      }
      this.statements.insertWindow.run({
        device_id: window.deviceId,
        seq: window.seq,
        start_ms: window.startMs,
        duration_s: window.durationS,
        energy_j: window.energyJ,
        sample_count: window.sampleCount,
        min_power_w: window.minPowerW,
        max_power_w: window.maxPowerW,
        inference_count: window.inferenceCount,
        source: window.source,
        received_ms: receivedMs,
        start_stamped_by: startStamp(window),
        seq_use: sameSeq.reduce((next, row) => Math.max(next, row.seq_use + 1), 0),
      });
      if (sameSeq.length > 0) seqResets += 1;
      insertedByDevice[window.deviceId] = (insertedByDevice[window.deviceId] ?? 0) + 1;
      bounds.maxSeq = Math.max(bounds.maxSeq, window.seq);
      bounds.lastEndMs = Math.max(bounds.lastEndMs, window.startMs + window.durationS * 1000);
      bounds.maxDurationS = Math.max(bounds.maxDurationS, window.durationS);
      const delta = deltas.get(window.deviceId);
      deltas.set(window.deviceId, {
        totals: addWindow(delta?.totals ?? EMPTY_WINDOW_TOTALS, window),
        maxDurationS: Math.max(delta?.maxDurationS ?? 0, window.durationS),
      });
    });
    if (refused.length > 0 && options.onRefusal === 'refuse-batch') throw new WindowRefusedError(refused);
    for (const [deviceId, delta] of deltas) this.statements.upsertAggregate.run(aggregateParams(deviceId, delta));
    return { insertedByDevice, refused, seqResets };
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

interface AppendOutcome {
  insertedByDevice: Record<string, number>;
  refused: RefusedWindow[];
  seqResets: number;
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

/** A transaction's delta as the upsert's parameters. */
function aggregateParams(deviceId: string, { totals, maxDurationS }: AggregateDelta): AggregateParams {
  return {
    device_id: deviceId,
    energy_j: totals.energyJ,
    observed_s: totals.observedS,
    windows: totals.windows,
    samples: totals.samples,
    inferences: totals.inferences,
    min_power_w: totals.minPowerW,
    max_power_w: totals.maxPowerW,
    max_seq: totals.maxSeq,
    first_seen_ms: totals.firstSeenMs,
    last_seen_ms: totals.lastSeenMs,
    max_duration_s: maxDurationS,
  };
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
  };
}
