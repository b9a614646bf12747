/**
 * The store of one instance among several (docs/fleet-truth.md): the local SQLite store keeps the registry copy, the
 * identity judge and the outbox; aggregates — what the fleet index, the device routes and the footprints read — come
 * from the shared window store (InfluxDB), which holds every instance's windows; registrations and edits are written
 * to the shared registry, and `syncRegistry()` brings every other instance's into the local copy by the conflict
 * rule (last writer wins by updatedAt, ties by instance). Per-window reads (lists, ranges, series) stay local.
 *
 * Incremental sync (docs/influxdb-schema.md § Change markers): each pass of the fleet index (`syncFleet()`, and the
 * first page of its load) first reads the change markers InfluxDB received since the last pass (`syncChanges()`); a
 * device without one keeps the totals last read, one with a new marker has its totals read again (from the oldest
 * period its change reaches, when that is no further back than the parts it kept: readFolded), and `syncFleet()`
 * names to the index, by id, only the devices whose totals changed (no walk of the fleet). What is read is always
 * InfluxDB's own per-period partials of its deduplicated points, never a sum of what was written, folded in period order
 * (influx/aggregate-fold.ts), so every instance answers the same numbers whichever period it resumed from.
 */
import type { AppendOptions, AppendResult, Device, DeviceAggregate, DeviceInput, DevicePatch, EnergyWindow } from '../domain/types.js';
import { compareKeys, entryKeyOf, type EntryKey, type InfluxRegistry } from './influx/influx-registry.js';
import {
  CHANGE_RETENTION_MS,
  INFLUX_AGGREGATE_CONCURRENT_REQUESTS,
  INFLUX_AGGREGATE_IDS_PER_REQUEST,
  type AggregateParts,
  type AggregatePartsOptions,
  type WindowChange,
} from './influx/influx-window-store.js';
import { foldParts, type PeriodPart } from './influx/aggregate-fold.js';
import type { InstrumentId } from '../domain/instruments.js';
import { mergeInstruments } from '../domain/window-totals.js';
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

/**
 * Parts a device may keep beyond its newest two when a read came too soon after its markers (KeptFold.suspectFromMs):
 * a late window reaches back a few periods at most; a read whose suspect periods are more (a first read of a long
 * history) folds them, and the device's next read is in full. A device keeps at most max(2, this many) parts: its newest
 * two, or up to this many counted from its suspect period.
 */
export const KEPT_SUSPECT_PARTS_MAX = 4;

/** A shared window store with a change feed and per-period reads (InfluxWindowStore): what the incremental sync needs. */
export interface ChangeFeedWindowStore extends WindowStore {
  changes(lookbackMs: number): Promise<WindowChange[]>;
  aggregateParts(fromMsById: ReadonlyMap<string, number>, options?: AggregatePartsOptions): Promise<Map<string, AggregateParts>>;
}

function hasChangeFeed(store: WindowStore): store is ChangeFeedWindowStore {
  const feed = store as Partial<ChangeFeedWindowStore>;
  return typeof feed.changes === 'function' && typeof feed.aggregateParts === 'function';
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
  /** Devices whose totals were read from InfluxDB in full (every period, from 0). */
  fullReads: number;
  /** Devices whose totals were read from the oldest period their change reaches (no further back than the parts they kept). */
  tailReads: number;
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
   * When each device's totals were last read from InfluxDB in full (this.clock; with a change feed only), in the order
   * of the reads (an entry is deleted and set again when read): the oldest reads come first. Bounded by the registry.
   */
  private readonly readAtMs = new Map<string, number>();
  /**
   * Per device read (with a change feed): the fold of its periods before `fromMs` (a period boundary; undefined: none)
   * and its per-period parts from `fromMs` on (in period order; at most KEPT_SUSPECT_PARTS_MAX) with the instruments their windows name,
   * as the last read found them. A change reaching back to period `reach` ≥ `fromMs` is read from `reach` on, and the
   * kept parts before `reach` are folded between `prefix` and what it read (docs/influxdb-schema.md § Aggregates).
   * Bounded by the registry.
   */
  private readonly kept = new Map<string, KeptFold>();
  /**
   * Reads applied so far (readFolded), numbering each device's kept entry: a read is applied to a device only if no
   * other read was applied to it since this one was planned (a getAggregate read and a pass, or two getAggregate reads
   * in different turns, can overlap; the later to finish would fold onto a prefix, or from a reach, the other replaced).
   */
  private readGeneration = 0;
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
  /**
   * Devices with change markers not yet applied, each with the oldest period (ms) its new markers reach, or null when
   * one does not say (an older marker): a full read. Bounded by the shared registry.
   */
  private readonly changed = new Map<string, number | null>();
  /**
   * Each device's change markers not yet answered by an applied read: when the last was seen (this.clock, as the marker
   * read answered) and the oldest period they reach (null: unknown). A read that starts less than the store's
   * maxReadLagMs later may miss their points (the writer writes the points before the marker; a store that reads
   * eventually may still serve the marker before them). Bounded by the shared registry.
   */
  private readonly markerSeen = new Map<string, { atMs: number; reach: number | null }>();
  /** The newest marker time taken per device and writer, of those the last read returned (bounded by the markers in the look-back). */
  private seen = new Map<string, bigint>();
  /** When the last read of the markers began (this.clock), or when this store was made. */
  private changesReadAtMs: number;
  /** getAggregate calls of one event-loop turn, read together. */
  private gathering: { ids: Set<string>; read: Promise<Map<string, DeviceAggregate>> } | null = null;
  /** What the reads since the last call of takeSyncStats() did. */
  private stats: IncrementalSyncStats = { fullReads: 0, tailReads: 0, kept: 0, markersRead: 0 };

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
    this.stats = { fullReads: 0, tailReads: 0, kept: 0, markersRead: 0 };
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
    const answeredMs = this.clock();
    // Markers older than their retention are gone: any device may have changed since its last read, so each is read in
    // full at the next passes (kept in readAtMs, which says which devices a pass reads).
    if (lookbackMs >= CHANGE_RETENTION_MS) for (const id of this.readAtMs.keys()) this.noteChange(id, null);
    const seen = new Map<string, bigint>();
    for (const marker of markers) {
      const key = `${marker.device}\u0000${marker.writer}\u0000${marker.periodMs ?? ''}`;
      const newest = seen.get(key);
      if (newest === undefined || marker.timeNs > newest) seen.set(key, marker.timeNs);
      const taken = this.seen.get(key);
      if (taken !== undefined && marker.timeNs <= taken) continue;
      this.noteChange(marker.device, marker.periodMs);
      const before = this.markerSeen.get(marker.device);
      const reach = before === undefined ? marker.periodMs : oldestReach(before.reach, marker.periodMs);
      this.markerSeen.set(marker.device, { atMs: answeredMs, reach });
    }
    // A marker not returned now is older than any later look-back reaches: its key's entry is no longer needed.
    this.seen = seen;
    this.changesReadAtMs = startedMs;
    this.stats.markersRead += markers.length;
  }

  /**
   * The devices' totals with a change feed: kept for a device without a new marker; read again for one with a new
   * marker (from the period it kept on, when the marker reaches no further back: readFolded), for one never read, and
   * for one last read in full FULL_REREAD_MS ago (in full).
   */
  private async readAggregates(store: ChangeFeedWindowStore, ids: readonly string[]): Promise<Map<string, DeviceAggregate>> {
    const nowMs = this.clock();
    const found = new Map<string, DeviceAggregate>();
    const taken = new Map<string, number | null>();
    const read = new Map<string, number | null | undefined>();
    for (const id of ids) {
      const last = this.readAtMs.get(id);
      if (this.changed.has(id)) {
        const reach = this.changed.get(id)!;
        this.changed.delete(id);
        taken.set(id, reach);
        read.set(id, last !== undefined && nowMs - last < FULL_REREAD_MS ? reach : undefined);
        continue;
      }
      if (last !== undefined && nowMs - last < FULL_REREAD_MS) {
        const aggregate = this.synced.get(id);
        if (aggregate !== undefined) found.set(id, aggregate);
        this.stats.kept += 1;
        continue;
      }
      read.set(id, undefined);
    }
    if (read.size === 0) return found;
    let aggregates: Map<string, DeviceAggregate | undefined>;
    try {
      aggregates = await this.readFolded(store, read);
    } catch (error) {
      // Not applied: the devices' changes wait for the next read.
      for (const [id, reach] of taken) this.noteChange(id, reach);
      throw error;
    }
    for (const [id, aggregate] of aggregates) if (aggregate !== undefined) found.set(id, aggregate);
    return found;
  }

  /**
   * Read the devices' totals again and serve them: each one whose change reaches (`reach`, a period start) no further
   * back than the period it kept on is read from `reach` on, and folded from its kept prefix through its kept parts
   * before `reach` (no change reaches them) and the parts read; any other (reach null: unknown; undefined: no change, a
   * device never read or due for its full re-read) is read in full from 0. Either way the result is the same left fold
   * of the same per-period rows, so it has the same bits as a fresh read (docs/influxdb-schema.md § Aggregates). The
   * kept prefix then moves up to the second-newest period known, so a window up to one period late is still read from
   * the kept one; a change to the newest period alone (a live device's next windows) reads that period only.
   */
  private async readFolded(
    store: ChangeFeedWindowStore,
    reaches: ReadonlyMap<string, number | null | undefined>,
  ): Promise<Map<string, DeviceAggregate | undefined>> {
    const plan = new Map<string, number>();
    const base = new Map<string, KeptFold | undefined>();
    const plannedOn = new Map<string, number>();
    const seenOn = new Map<string, { atMs: number; reach: number | null } | undefined>();
    const withoutFirstSeen = new Set<string>();
    const expected = new Map<string, AggregateParts>();
    for (const [id, reach] of reaches) {
      const kept = this.kept.get(id);
      // Parts a read too soon after its marker may have missed (suspectFromMs) are read again with the change.
      const start = reach === undefined || reach === null ? null : Math.min(reach, kept?.suspectFromMs ?? reach);
      const tail = kept !== undefined && start !== null && start >= kept.fromMs;
      plan.set(id, tail ? start : 0);
      base.set(id, tail ? kept : undefined);
      // A first-seen time from a period before the read's start is the fold's (a later period's never is lower).
      if (tail && (kept.prefix?.firstSeenMs != null || kept.parts.some((part) => part.periodMs < start && part.firstSeenMs !== null))) withoutFirstSeen.add(id);
      plannedOn.set(id, kept?.generation ?? 0);
      seenOn.set(id, this.markerSeen.get(id));
      const expect = kept === undefined ? undefined : expectedParts(kept, plan.get(id)!, withoutFirstSeen.has(id));
      if (expect !== undefined) expected.set(id, expect);
    }
    const lagMs = store.capabilities.readAfterWrite === 'immediate' ? 0 : store.capabilities.maxReadLagMs;
    const startedMs = this.clock();
    const read = await store.aggregateParts(plan, { withoutFirstSeen, expected });
    const readMs = this.clock();
    const out = new Map<string, DeviceAggregate | undefined>();
    for (const [id, fromMs] of plan) {
      if ((this.kept.get(id)?.generation ?? 0) !== plannedOn.get(id)) {
        // Another read of this device was applied while this one was out: this one is dropped (it may be the older,
        // or fold from what the other replaced), and the device is read in full at the next pass.
        this.noteChange(id, null);
        out.set(id, this.synced.get(id));
        continue;
      }
      const fresh = read.get(id) ?? { parts: [], instruments: [] };
      if (fresh.unsettled === true) {
        // Its reads never agreed (written throughout the read): the totals served stay, and it is read again next pass.
        this.noteChange(id, fromMs === 0 ? null : fromMs);
        // A pass reads only the changed devices it has read before: one unsettled at its first read is made one, read
        // in full at the next pass (an entry out of time order: it is due by its change, not by the sweep).
        if (!this.readAtMs.has(id)) this.readAtMs.set(id, Number.NEGATIVE_INFINITY);
        out.set(id, this.synced.get(id));
        continue;
      }
      const from = base.get(id);
      // Every part from the kept period on: the kept ones no change reached, then the ones read.
      const parts = from === undefined ? fresh.parts : [...from.parts.filter((part) => part.periodMs < fromMs), ...fresh.parts];
      const instruments = from === undefined ? fresh.instruments : mergeInstruments(from.instruments, fresh.instruments);
      const keptFromMs = from?.fromMs ?? 0;
      const seen = seenOn.get(id);
      // Read within the lag of markers it answers: the periods they reach may lack their points; the device's next read
      // reads them again (kept as parts for it, up to KEPT_SUSPECT_PARTS_MAX; beyond, folded: the next read is in full).
      const suspectFromMs = seen !== undefined && startedMs - seen.atMs < lagMs ? Math.max(fromMs, seen.reach ?? fromMs) : null;
      if (seen !== undefined && this.markerSeen.get(id) === seen) this.markerSeen.delete(id);
      let cut = Math.max(0, parts.length - 2);
      if (suspectFromMs !== null) {
        const firstSuspect = parts.findIndex((part) => part.periodMs >= suspectFromMs);
        const suspectFrom = firstSuspect === -1 ? parts.length : firstSuspect;
        if (parts.length - suspectFrom <= KEPT_SUSPECT_PARTS_MAX) cut = Math.min(cut, suspectFrom);
      }
      const prefix = cut === 0 ? from?.prefix : foldParts(id, from?.prefix, parts.slice(0, cut), instruments);
      this.readGeneration += 1;
      this.kept.set(id, {
        prefix,
        fromMs: cut === 0 ? keptFromMs : parts[cut]!.periodMs,
        parts: parts.slice(cut),
        instruments,
        suspectFromMs,
        generation: this.readGeneration,
      });
      const aggregate = foldParts(id, prefix, parts.slice(cut), instruments);
      out.set(id, aggregate);
      this.synced.set(id, aggregate);
      if (fromMs === 0) {
        this.stats.fullReads += 1;
        this.readAtMs.delete(id);
        this.readAtMs.set(id, readMs);
      } else this.stats.tailReads += 1;
    }
    return out;
  }

  /** A new change marker of the device reaching back to `periodMs` (null: unknown): its oldest reach is kept until read. */
  private noteChange(id: string, periodMs: number | null): void {
    if (!this.changed.has(id)) {
      this.changed.set(id, periodMs);
      return;
    }
    this.changed.set(id, oldestReach(this.changed.get(id)!, periodMs));
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
    /** Each due device's reach (readFolded): its change's, or undefined for a full re-read. */
    const due = new Map<string, number | null | undefined>();
    // Devices never read stay in `changed` until their first read (getAggregate, a page) takes them.
    for (const [id, reach] of this.changed) if (this.readAtMs.has(id)) due.set(id, reach);
    // The oldest full reads: the share of the fleet due since the last pass, and every device read in full
    // FULL_REREAD_MS ago or more. A tail read does not count: points InfluxDB dropped are found by full reads only.
    const share = this.passEndMs === null ? 0 : Math.ceil(this.readAtMs.size * Math.min(1, Math.max(0, nowMs - this.passEndMs) / FULL_REREAD_MS));
    let swept = 0;
    for (const [id, readMs] of this.readAtMs) {
      if (swept >= share && nowMs - readMs < FULL_REREAD_MS) break;
      due.set(id, undefined);
      swept += 1;
    }
    const ids = [...due.keys()];
    const reachNow = (id: string): number | null | undefined => {
      const reach = due.get(id);
      return reach === undefined || !this.changed.has(id) ? reach : this.changed.get(id)!;
    };
    for (let from = 0; from < ids.length; from += FLEET_PASS_CHUNK_DEVICES) {
      // A change noted since the pass began (a page's syncChanges) may reach further back than the one `due` took.
      const chunk = new Map(ids.slice(from, from + FLEET_PASS_CHUNK_DEVICES).map((id) => [id, reachNow(id)]));
      const before = new Map([...chunk.keys()].map((id) => [id, this.synced.get(id)]));
      for (const id of chunk.keys()) this.changed.delete(id);
      let aggregates: Map<string, DeviceAggregate | undefined>;
      try {
        aggregates = await this.readFolded(store, chunk);
      } catch (error) {
        // Not read: their markers wait for the next pass (a swept device's as one reaching back to anything: a full
        // read), as does every change this pass applied.
        for (const id of ids.slice(from)) this.noteChange(id, due.get(id) ?? null);
        unanswer();
        throw error;
      }
      for (const [id, aggregate] of aggregates) if (!sameAggregate(before.get(id), aggregate)) changes.aggregates.push(id);
    }
    this.stats.kept += this.readAtMs.size - ids.length;
    return changes;
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

/** What a device's last read left for the next (SharedStore.kept). */
export interface KeptFold {
  /** The fold of the periods before fromMs (undefined: none). */
  prefix: DeviceAggregate | undefined;
  /** A period start (0: the first read's start): the kept parts are of this period and later. */
  fromMs: number;
  /** The device's per-period parts from fromMs on, in period order: its newest two, or up to KEPT_SUSPECT_PARTS_MAX from suspectFromMs. */
  parts: PeriodPart[];
  /** The instruments named by the windows from fromMs on. */
  instruments: InstrumentId[];
  /**
   * The oldest period whose parts the read may have taken before a marker's points were readable (it began within the
   * store's maxReadLagMs of seeing the marker), or null: the next read of the device starts there at the latest.
   */
  suspectFromMs: number | null;
  /** The read that left it (SharedStore.readGeneration). */
  generation: number;
}

/**
 * What a read of the device from `fromMs` answers if nothing changed since its last read (AggregatePartsOptions.expected),
 * or undefined when the kept fold does not say: its periods before `fromMs` are folded into the prefix (a full read of a
 * device with a prefix), its kept parts name instruments (the kept instruments may be those of periods now folded), or
 * its last read may have missed points (suspectFromMs). Without first-seen, the parts say none, as that read answers.
 */
export function expectedParts(kept: KeptFold, fromMs: number, withoutFirstSeen: boolean): AggregateParts | undefined {
  if (kept.suspectFromMs !== null || fromMs < kept.fromMs || (fromMs === 0 && kept.prefix !== undefined)) return undefined;
  const parts = kept.parts.filter((part) => part.periodMs >= fromMs);
  if (parts.some((part) => part.instrumentWindows > 0)) return undefined;
  return { parts: withoutFirstSeen ? parts.map((part) => ({ ...part, firstSeenMs: null })) : parts, instruments: [] };
}

/** The older of two reaches (period starts, ms); null (unknown: read in full) wins. */
function oldestReach(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : Math.min(a, b);
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
