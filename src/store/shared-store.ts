/**
 * The store of one instance among several (docs/fleet-truth.md): the local SQLite store keeps the registry copy, the
 * identity judge and the outbox; aggregates — what the fleet index, the device routes and the footprints read — come
 * from the shared window store (InfluxDB), which holds every instance's windows; registrations and edits are written
 * to the shared registry, and `syncRegistry()` brings every other instance's into the local copy by the conflict
 * rule (last writer wins by updatedAt, ties by instance). Per-window reads (lists, ranges, series) stay local.
 *
 * Incremental sync (docs/influxdb-schema.md § Change markers): each pass of the fleet index (`syncFleet()`, and the
 * first page of its load) first reads the change markers InfluxDB received since the last pass (`syncChanges()`); a
 * device without one keeps the totals last read, one with a new marker has its totals read again, and `syncFleet()`
 * names to the index, by id, only the devices whose totals changed (no walk of the fleet). What is read is always InfluxDB's own deduplicated points, never a
 * sum of what was written, so every instance answers the same numbers.
 */
import type { AppendOptions, AppendResult, Device, DeviceAggregate, DeviceInput, DevicePatch, EnergyWindow } from '../domain/types.js';
import { compareKeys, entryKeyOf, type EntryKey, type InfluxRegistry } from './influx/influx-registry.js';
import {
  CHANGE_RETENTION_MS,
  INFLUX_AGGREGATE_CONCURRENT_REQUESTS,
  INFLUX_AGGREGATE_IDS_PER_REQUEST,
  type WindowChange,
} from './influx/influx-window-store.js';
import type { SqliteStore } from './sqlite/sqlite-store.js';
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
} from './store.js';
import type { DeadLetter, OutboxEntry, WindowOutbox } from './window-outbox.js';
import type { StoredWindow, WindowStore } from './window-store.js';

export interface RegistrySyncResult {
  /** Local writes sent to the shared registry now (those that had failed before included). */
  pushed: number;
  /** Entries of other instances taken into the local copy. */
  adopted: number;
}

/**
 * How long after influxd stamped a change marker (its receive time) the marker may still become visible to a query (ms):
 * a write request lasts at most INFLUX_REQUEST_TIMEOUT_MS (10 s), plus a margin. Every read of the markers looks back
 * this much before the previous read began, so a marker stamped before that read but visible only after it is not missed.
 */
export const CHANGE_VISIBILITY_MS = 15_000;
/**
 * Each device's totals are read in full at least this often (ms), changed or not: points that InfluxDB drops (an
 * expired retention, a DELETE) leave no change marker, and every instance must come back to InfluxDB's numbers.
 */
export const FULL_REREAD_MS = 600_000;

/** A shared window store with a change feed (InfluxWindowStore): what the incremental sync needs. */
export interface ChangeFeedWindowStore extends WindowStore {
  changes(lookbackMs: number): Promise<WindowChange[]>;
}

function hasChangeFeed(store: WindowStore): store is ChangeFeedWindowStore {
  return typeof (store as Partial<ChangeFeedWindowStore>).changes === 'function';
}

/**
 * Devices per step of a fleet pass (SharedStore.syncFleet): one aggregate read of this many ids (its requests in
 * flight together), then its results compared and applied, about 1 µs each, before the next read: no step holds the
 * event loop for long, whatever the number of changed devices.
 */
export const FLEET_PASS_CHUNK_DEVICES = INFLUX_AGGREGATE_IDS_PER_REQUEST * INFLUX_AGGREGATE_CONCURRENT_REQUESTS;

/** What one fleet pass found changed since the last (FleetIndex applies these by id). */
export interface FleetChanges {
  /** Devices whose registry entry from another instance was taken into the local copy: device and aggregate to read again. */
  devices: string[];
  /** Devices whose totals, read again from InfluxDB in this pass, differ from the ones last served. */
  aggregates: string[];
}

export interface IncrementalSyncStats {
  /** Devices whose totals were read from InfluxDB. */
  fullReads: number;
  /** Devices served from the totals last read (no change marker since). */
  kept: number;
  markersRead: number;
}

export class SharedStore implements Store, WindowOutbox {
  readonly kind: string;
  /** The key of the entry each device's local copy holds (written here or adopted): only a greater one replaces it. */
  private readonly held = new Map<string, EntryKey>();
  /** Devices whose registry write failed (InfluxDB down): written at the next sync. Ids of the local registry, so bounded by it. */
  private readonly pending = new Set<string>();
  /** Each device's aggregate as the last read of its page (the fleet load and syncs) found it; bounded by the registry. */
  private readonly synced = new Map<string, DeviceAggregate | undefined>();
  /**
   * When each device's totals were last read from InfluxDB (this.clock; with a change feed only), in the order of the
   * reads (an entry is deleted and set again when read): the oldest reads come first. Bounded by the registry.
   */
  private readonly readAtMs = new Map<string, number>();
  /** Devices adopted from other instances' registry entries and not yet answered by a fleet pass; bounded by the registry. */
  private readonly adopted = new Set<string>();
  /** Devices whose served totals a fleet pass changed and no pass has answered yet (one failed); bounded by the registry. */
  private readonly unanswered = new Set<string>();
  /** The fleet pass running, if any: a second call shares it (passes never overlap). */
  private passing: Promise<FleetChanges> | null = null;
  /**
   * When the last fleet pass ended (this.clock; null before the first): the full re-read's share is the fleet's share of
   * FULL_REREAD_MS since then. From its end, not its start, so that a long pass does not make the next one longer.
   */
  private passEndMs: number | null = null;
  /** Devices with change markers not yet applied; bounded by the shared registry. */
  private readonly changed = new Set<string>();
  /** The newest marker time taken per device and writer, of those the last read returned (bounded by the markers in the look-back). */
  private seen = new Map<string, bigint>();
  /** When the last read of the markers began (this.clock), or when this store was made. */
  private changesReadAtMs: number;
  /** getAggregate calls of one event-loop turn, read together. */
  private gathering: { ids: Set<string>; read: Promise<Map<string, DeviceAggregate>> } | null = null;
  /** What the reads since the last call of takeSyncStats() did. */
  private stats: IncrementalSyncStats = { fullReads: 0, kept: 0, markersRead: 0 };

  constructor(
    private readonly local: SqliteStore,
    private readonly windows: WindowStore,
    private readonly registry: InfluxRegistry,
    readonly instanceId: string,
    /** A monotonic clock (ms) for the look-back of the change markers and the full re-reads. */
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.kind = `shared(${local.kind}+${windows.kind})`;
    this.changesReadAtMs = clock();
  }

  /** The reads done since the last call (bench/influx.ts reports them), and a fresh count. */
  takeSyncStats(): IncrementalSyncStats {
    const stats = this.stats;
    this.stats = { fullReads: 0, kept: 0, markersRead: 0 };
    return stats;
  }

  /** Devices whose registry write waits for the next sync. */
  get pendingRegistryWrites(): number {
    return this.pending.size;
  }

  async createDevice(input: DeviceInput): Promise<Device> {
    const device = await this.local.createDevice(input);
    await this.publish([device]);
    return device;
  }

  async createDevices(inputs: readonly DeviceInput[], options?: { onExisting?: 'fail' | 'skip' }): Promise<{ created: number; existing: string[] }> {
    const result = await this.local.createDevices(inputs, options);
    const existing = new Set(result.existing);
    const created = (await Promise.all(inputs.filter((input) => !existing.has(input.id)).map((input) => this.local.getDevice(input.id)))).filter(
      (device): device is Device => device !== undefined,
    );
    await this.publish(created);
    return result;
  }

  async updateDevice(id: string, patch: DevicePatch): Promise<Device> {
    const device = await this.local.updateDevice(id, patch);
    await this.publish([device]);
    return device;
  }

  async ensureDevice(input: DeviceInput): Promise<{ device: Device; created: boolean }> {
    const result = await this.local.ensureDevice(input);
    if (result.created) await this.publish([result.device]);
    return result;
  }

  getDevice(id: string): Promise<Device | undefined> {
    return this.local.getDevice(id);
  }

  listDevices(query: ListDevicesQuery): Promise<Device[]> {
    return this.local.listDevices(query);
  }

  countDevices(fleet?: string): Promise<number> {
    return this.local.countDevices(fleet);
  }

  appendWindows(windows: readonly EnergyWindow[], options?: AppendOptions): Promise<AppendResult> {
    return this.local.appendWindows(windows, options);
  }

  appendWindowGroups(requests: readonly AppendRequest[]): Promise<AppendGroupOutcome[]> {
    return this.local.appendWindowGroups(requests);
  }

  /**
   * The device's totals over every instance's windows: as the last fleet sync read them from the shared window store
   * (within the sync's staleness bound; a footprint GET then costs no InfluxDB query and still answers while InfluxDB
   * is down), else read from it now (a device no sync has seen yet).
   */
  async getAggregate(deviceId: string): Promise<DeviceAggregate | undefined> {
    if (this.synced.has(deviceId)) return this.synced.get(deviceId);
    if (hasChangeFeed(this.windows)) {
      const store = this.windows;
      if (this.gathering === null) {
        // The fleet index asks for a slice of devices at once: one InfluxDB read for all of them, not one each.
        const ids = new Set<string>();
        const read = new Promise<Map<string, DeviceAggregate>>((resolve, reject) => {
          setImmediate(() => {
            this.gathering = null;
            this.readAggregates(store, [...ids]).then(resolve, reject);
          });
        });
        this.gathering = { ids, read };
      }
      this.gathering.ids.add(deviceId);
      return (await this.gathering.read).get(deviceId);
    }
    return (await this.windows.aggregates([deviceId])).get(deviceId);
  }

  listWindows(deviceId: string, limit: number): Promise<EnergyWindow[]> {
    return this.local.listWindows(deviceId, limit);
  }

  listInferenceSpans(deviceId: string, limit: number): Promise<EnergyWindow[]> {
    return this.local.listInferenceSpans(deviceId, limit);
  }

  listWindowsInRange(deviceId: string, query: WindowRangeQuery): Promise<{ windows: EnergyWindow[]; next: WindowCursor | null }> {
    return this.local.listWindowsInRange(deviceId, query);
  }

  windowSeries(deviceId: string, query: { fromMs: number; toMs: number; stepMs: number }): Promise<SeriesBucket[]> {
    return this.local.windowSeries(deviceId, query);
  }

  /**
   * A page of the (replicated) registry with each device's totals from the shared window store, in one batched read.
   * The first page of a pass (no `afterId`: the fleet index's load and each sync) first reads the change markers.
   */
  async listDevicesWithAggregates(query: ListAggregatesQuery): Promise<DeviceWithAggregate[]> {
    if (query.afterId === undefined && query.offset === 0) await this.syncChanges();
    const page = await this.local.listDevicesWithAggregates(query);
    const ids = page.map((entry) => entry.device.id);
    const aggregates = hasChangeFeed(this.windows) ? await this.readAggregates(this.windows, ids) : await this.windows.aggregates(ids);
    for (const { device } of page) this.synced.set(device.id, aggregates.get(device.id));
    return page.map(({ device }) => ({ device, aggregate: aggregates.get(device.id) }));
  }

  /**
   * Read the change markers InfluxDB received since the last read (less CHANGE_VISIBILITY_MS) and note which devices
   * changed, and where. Run by the first page of each pass; throws when InfluxDB fails (the next one looks back further).
   * A look-back beyond the markers' retention forgets every device's parts: each is then read in full.
   */
  async syncChanges(): Promise<void> {
    if (!hasChangeFeed(this.windows)) return;
    const startedMs = this.clock();
    const lookbackMs = startedMs - this.changesReadAtMs + CHANGE_VISIBILITY_MS;
    const markers = await this.windows.changes(Math.min(lookbackMs, CHANGE_RETENTION_MS));
    if (lookbackMs >= CHANGE_RETENTION_MS) this.readAtMs.clear();
    const seen = new Map<string, bigint>();
    for (const marker of markers) {
      const key = `${marker.device}\u0000${marker.writer}`;
      const newest = seen.get(key);
      if (newest === undefined || marker.timeNs > newest) seen.set(key, marker.timeNs);
      const taken = this.seen.get(key);
      if (taken !== undefined && marker.timeNs <= taken) continue;
      this.changed.add(marker.device);
    }
    // A marker not returned now is older than any later look-back reaches: its key's entry is no longer needed.
    this.seen = seen;
    this.changesReadAtMs = startedMs;
    this.stats.markersRead += markers.length;
  }

  /**
   * The devices' totals with a change feed: kept for a device without a new marker, read in full for one with a new
   * marker, for one never read, and for one last read FULL_REREAD_MS ago. A full read, not a read of the changed range
   * added to the kept totals: InfluxDB's float sums over two ranges added here differ in their last bits from its sum
   * over all the points, and every instance must answer the same numbers (docs/influxdb-schema.md § Change markers).
   */
  private async readAggregates(store: ChangeFeedWindowStore, ids: readonly string[]): Promise<Map<string, DeviceAggregate>> {
    const nowMs = this.clock();
    const found = new Map<string, DeviceAggregate>();
    const taken: string[] = [];
    const read: string[] = [];
    for (const id of ids) {
      const last = this.readAtMs.get(id);
      if (this.changed.delete(id)) taken.push(id);
      else if (last !== undefined && nowMs - last < FULL_REREAD_MS) {
        const aggregate = this.synced.get(id);
        if (aggregate !== undefined) found.set(id, aggregate);
        this.stats.kept += 1;
        continue;
      }
      read.push(id);
    }
    if (read.length === 0) return found;
    let aggregates: Map<string, DeviceAggregate>;
    try {
      aggregates = await store.aggregates(read);
    } catch (error) {
      // Not applied: the devices' changes wait for the next read.
      for (const id of taken) this.changed.add(id);
      throw error;
    }
    for (const id of read) {
      const aggregate = aggregates.get(id);
      if (aggregate !== undefined) found.set(id, aggregate);
      this.noteRead(id, aggregate, nowMs);
    }
    this.stats.fullReads += read.length;
    return found;
  }

  /**
   * One pass of the fleet sync in O(changed devices), not O(fleet) (FleetIndex's periodic sync; docs/fleet-truth.md):
   * reads the change markers, then reads again the totals of every known device with a new marker, plus the oldest
   * read devices' in a share of the fleet proportional to the time since the last pass ended, and any read
   * FULL_REREAD_MS ago (every device once per FULL_REREAD_MS, spread over the passes rather than all at once),
   * FLEET_PASS_CHUNK_DEVICES per step. Answers the
   * devices whose totals differ from the ones served until now, and those adopted from the shared registry since the
   * last pass (syncRegistry). A call while a pass runs shares that pass. Throws when InfluxDB fails: what was not
   * applied waits for the next pass.
   */
  syncFleet(): Promise<FleetChanges> {
    this.passing ??= this.runPass().finally(() => {
      this.passing = null;
      this.passEndMs = this.clock();
    });
    return this.passing;
  }

  private async runPass(): Promise<FleetChanges> {
    const changes: FleetChanges = { devices: [...this.adopted], aggregates: [...this.unanswered] };
    this.adopted.clear();
    this.unanswered.clear();
    // A failed pass answers nothing: what it took or changed is answered by the next one.
    const unanswer = (): void => {
      for (const id of changes.devices) this.adopted.add(id);
      for (const id of changes.aggregates) this.unanswered.add(id);
    };
    if (!hasChangeFeed(this.windows)) return changes;
    const store = this.windows;
    try {
      await this.syncChanges();
    } catch (error) {
      unanswer();
      throw error;
    }
    const nowMs = this.clock();
    const due = new Set<string>();
    // Devices never read stay in `changed` until their first read (getAggregate, a page) takes them.
    for (const id of this.changed) if (this.readAtMs.has(id)) due.add(id);
    // The oldest reads: the share of the fleet due since the last pass, and every device read FULL_REREAD_MS ago or more.
    const share = this.passEndMs === null ? 0 : Math.ceil(this.readAtMs.size * Math.min(1, Math.max(0, nowMs - this.passEndMs) / FULL_REREAD_MS));
    let swept = 0;
    for (const [id, readMs] of this.readAtMs) {
      if (swept >= share && nowMs - readMs < FULL_REREAD_MS) break;
      due.add(id);
      swept += 1;
    }
    const ids = [...due];
    for (let from = 0; from < ids.length; from += FLEET_PASS_CHUNK_DEVICES) {
      const chunk = ids.slice(from, from + FLEET_PASS_CHUNK_DEVICES);
      for (const id of chunk) this.changed.delete(id);
      let aggregates: Map<string, DeviceAggregate>;
      try {
        aggregates = await store.aggregates(chunk);
      } catch (error) {
        // Not read: their markers wait for the next pass, as does every change this pass applied.
        for (const id of ids.slice(from)) this.changed.add(id);
        unanswer();
        throw error;
      }
      const readMs = this.clock();
      for (const id of chunk) {
        const aggregate = aggregates.get(id);
        if (!sameAggregate(this.synced.get(id), aggregate)) changes.aggregates.push(id);
        this.noteRead(id, aggregate, readMs);
      }
    }
    this.stats.fullReads += ids.length;
    this.stats.kept += this.readAtMs.size - ids.length;
    return changes;
  }

  /** A device's totals as just read from InfluxDB: served from now on, and its read the newest in `readAtMs`' order. */
  private noteRead(id: string, aggregate: DeviceAggregate | undefined, readMs: number): void {
    this.synced.set(id, aggregate);
    this.readAtMs.delete(id);
    this.readAtMs.set(id, readMs);
  }

  /**
   * Write the local registrations and edits whose write failed, then take every other instance's winning entry that
   * beats the local copy's. Run before each fleet sync (FleetIndexDeps.beforeSync). Throws when InfluxDB fails.
   */
  async syncRegistry(): Promise<RegistrySyncResult> {
    let pushed = 0;
    if (this.pending.size > 0) {
      // Taken out before the await: an edit whose own write fails meanwhile is pending again, not deleted with these.
      const ids = [...this.pending];
      this.pending.clear();
      try {
        const devices = (await Promise.all(ids.map((id) => this.local.getDevice(id)))).filter((device): device is Device => device !== undefined);
        await this.registry.write(devices, this.instanceId);
        for (const device of devices) this.held.set(device.id, entryKeyOf(device, this.instanceId));
        pushed = devices.length;
      } catch (error) {
        for (const id of ids) this.pending.add(id);
        throw error;
      }
    }
    let adopted = 0;
    for (const entry of await this.registry.winners()) {
      const held = this.held.get(entry.device.id);
      if (held !== undefined && compareKeys(entry.key, held) <= 0) continue;
      if (held === undefined) {
        // Not written or adopted by this process (e.g. after a restart): the local copy is current when it is the same.
        const current = await this.local.getDevice(entry.device.id);
        if (current !== undefined && JSON.stringify(current) === JSON.stringify(entry.device)) {
          this.hold(entry.device.id, entry.key);
          continue;
        }
      }
      await this.local.replaceDevice(entry.device);
      this.hold(entry.device.id, entry.key);
      this.adopted.add(entry.device.id);
      adopted += 1;
    }
    return { pushed, adopted };
  }

  /** The local store is the outbox (12a's OutboxWriter drains it into InfluxDB). */
  readOutbox(afterCommitSeq: number, limit: number): Promise<OutboxEntry[]> {
    return this.local.readOutbox(afterCommitSeq, limit);
  }

  outboxHead(): Promise<number> {
    return this.local.outboxHead();
  }

  outboxCursor(target: string): Promise<number> {
    return this.local.outboxCursor(target);
  }

  setOutboxCursor(target: string, commitSeq: number): Promise<void> {
    return this.local.setOutboxCursor(target, commitSeq);
  }

  addDeadLetters(target: string, letters: readonly DeadLetter[]): Promise<Set<number>> {
    return this.local.addDeadLetters(target, letters);
  }

  listDeadLetters(target: string, limit: number): Promise<{ total: number; letters: (DeadLetter & { window: StoredWindow })[] }> {
    return this.local.listDeadLetters(target, limit);
  }

  onCommitted(listener: (entries: readonly OutboxEntry[]) => void): () => void {
    return this.local.onCommitted(listener);
  }

  async close(): Promise<void> {
    await this.windows.close().catch(() => {});
    await this.local.close();
  }

  private hold(id: string, key: EntryKey): void {
    const held = this.held.get(id);
    if (held === undefined || compareKeys(key, held) > 0) this.held.set(id, key);
  }

  /** Write the devices to the shared registry; a failure leaves them pending for the next sync (the local commit stands). */
  private async publish(devices: readonly Device[]): Promise<void> {
    // The local copy is now this write, whatever it held before: if another instance's entry beats it, the next sync
    // must see that entry as newer than what is held, and adopt it.
    for (const device of devices) this.held.set(device.id, entryKeyOf(device, this.instanceId));
    try {
      await this.registry.write(devices, this.instanceId);
    } catch {
      for (const device of devices) this.pending.add(device.id);
    }
  }
}

/** The same totals, field by field (a pass compares thousands per step: no serialisation). */
function sameAggregate(a: DeviceAggregate | undefined, b: DeviceAggregate | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  for (const key of Object.keys(a) as (keyof DeviceAggregate)[]) {
    if (key === 'instruments') continue;
    if (!Object.is(a[key], b[key])) return false;
  }
  return (
    Object.keys(a).length === Object.keys(b).length && a.instruments.length === b.instruments.length && a.instruments.every((id, n) => id === b.instruments[n])
  );
}
