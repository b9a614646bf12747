import { specInput } from './device-footprint.js';
import type { Device, DeviceAggregate, DeviceSpec } from '../domain/types.js';
import { isOnlineNow, type DevicePresence, type PresenceRegistry } from '../live/device-presence.js';
import type { LiveBus } from '../live/live-bus.js';
import type { Catalogue, Range } from '../model/catalogue-types.js';
import { accruedFigures, lifetimeFigures, planFigures, type FigurePlan } from '../model/footprint-figures.js';
import { ZERO_RANGE } from '../model/range.js';
import type { Store } from '../store/store.js';
import type { FleetDeviceRow } from './fleet-summary.js';
import { StepBudget } from './fleet-step.js';
import { setBounded } from '../util/bounded-map.js';
import { FleetSums } from './fleet-sums.js';
import { OverviewSums, type OverviewFigures } from './fleet-overview-sums.js';
import { OnlineExpiryHeap } from './online-expiry.js';
import { OnlineHistory } from './online-history.js';

/**
 * Devices per store read while loading or syncing (about 30 µs each: the row, its spec's plan, its figures); reads
 * follow one another until the turn's FLEET_STEP_BUDGET_MS is spent. 250 per step was 8–14 ms at 100 000 devices.
 */
export const LOAD_PAGE_DEVICES = 64;
/** Changed devices re-read together (one or two store reads and a row each); chunks follow one another within a turn's budget. */
export const REFRESH_CHUNK_DEVICES = 32;
/** Milliseconds a change waits before it is refreshed, so that a burst of windows for one device costs one refresh. */
export const REFRESH_DELAY_MS = 50;
/** Every deployed device's accrued footprint (it grows with time) is recomputed within this many ms (ms). */
export const ACCRUED_REFRESH_MS = 60_000;
/** Milliseconds between steps of the accrued refresh; each step covers its share of the fleet. */
export const ACCRUED_STEP_MS = 250;
/**
 * Milliseconds a reader waits for the startup load before it is answered from the devices loaded so far (saying so:
 * `complete` false): a 100 000-device fleet loads in a few seconds, and a first answer should not wait for all of it.
 */
export const LOAD_WAIT_MS = 500;
/**
 * Expiry-heap entries applied per call of `advance` (a device aging past the online threshold: one heap pop, about
 * 0.3 µs): when more expire at once (every device's last window at the same moment, as after a broker outage or a
 * restart of the fleet) the rest are applied in further turns of the event loop, this many per turn, instead of 100 000
 * in one task (tens of ms). Until then the online count still includes those not applied yet.
 */
export const EXPIRY_CHUNK_DEVICES = 4_096;
/** Distinct specs whose resolved figures are kept; specs are client-chosen, so this is bounded (oldest forgotten). */
export const MAX_SPEC_PLANS = 10_000;
/**
 * Milliseconds between two periodic syncs from a shared store (several instances, docs/fleet-truth.md): a change
 * another instance committed reaches this index within this plus one sync's duration. 2 s: "within seconds" while a
 * sync of a few thousand devices (about 30 µs each, in steps of FLEET_STEP_BUDGET_MS) stays a small share of the event loop.
 */
export const FLEET_SYNC_INTERVAL_MS = 2_000;
/**
 * The largest share of the time between two periodic syncs' starts that a sync may take: a pass that took `d` ms is
 * followed by the next no sooner than `d / FLEET_SYNC_MAX_SHARE` after its start. Under a fleet-wide write load every
 * device has changed at each pass, and re-reading one device's totals costs InfluxDB about 1 ms of CPU whatever its
 * size (docs/influxdb-schema.md): back-to-back passes would take the database's cores from the writes. A quarter keeps
 * the reads below a quarter of the time, and staleness within four passes' duration.
 */
export const FLEET_SYNC_MAX_SHARE = 0.25;

/** Milliseconds from the end of a periodic sync that took `passMs` to the start of the next (FLEET_SYNC_MAX_SHARE). */
export function nextSyncDelayMs(intervalMs: number, passMs: number): number {
  const elapsedMs = Math.max(0, passMs);
  return Math.max(intervalMs, elapsedMs / FLEET_SYNC_MAX_SHARE) - elapsedMs;
}

/** One device as the index keeps it: what a fleet row needs, without the aggregate's or device's objects. */
export interface IndexedDevice {
  readonly slot: number;
  id: string;
  name: string;
  fleet: string | null;
  system: string;
  grid: string;
  /** Lower-cased id, name, system, fleet and grid: what the text filter searches. */
  haystack: string;
  /** What of the device the row was built from (updatedAt and every field a row uses): a sync compares it. */
  deviceStamp: string;
  deployedMs: number | null;
  plan: FigurePlan | null;
  /** Why the spec does not resolve (null: it does). */
  specError: string | null;
  /** Why no footprint: the spec's error, or the power's (null: none). */
  error: string | null;
  lastSeenMs: number | null;
  firstSeenMs: number | null;
  observedS: number;
  energyJ: number;
  windows: number;
  inferences: number;
  measured: boolean;
  powerW: number;
  totalKgCO2e: number;
  totalRange: Range;
  assumedTotalKgCO2e: number;
  useKgCO2e: number;
  batteryReplacements: number;
  /** At the last refresh (at most ACCRUED_REFRESH_MS old); a served row recomputes it at the request's time. */
  accruedKgCO2e: number | null;
  /** Counted online in the sums now. */
  online: boolean;
  /** The device and its aggregate as the store gave them at the row's last read (the footprint's synchronous read: `storedNow`). */
  device: Device | null;
  aggregate: DeviceAggregate | null;
  /** Generation of its entry in the expiry heap (a newer one makes older entries stale). */
  heapGeneration: number;
  /** The expiry its live heap entry carries; null: no live entry. */
  heapExpiryMs: number | null;
}

export interface FleetTotals {
  devices: number;
  errors: number;
  online: number;
  measured: number;
  assumed: number;
  totalKgCO2e: number;
  totalRange: Range;
  assumedTotalKgCO2e: number;
  accruedKgCO2e: number;
  /** Every device's accrued figure in the totals was computed at or after this time (epoch ms). */
  accruedAtMs: number;
  energyJ: number;
  observedS: number;
  averagePowerW: number | null;
}

export interface FleetIndexDeps {
  store: Store;
  catalogue: Catalogue;
  bus: LiveBus;
  presence: PresenceRegistry;
  clock: () => number;
  onlineThresholdMs: number;
  /**
   * The store is shared with other instances (docs/fleet-truth.md): sync from it this often (FLEET_SYNC_INTERVAL_MS;
   * less often after a long pass, FLEET_SYNC_MAX_SHARE), since changes made through other instances raise no event
   * here. Absent: change-driven only.
   */
  syncIntervalMs?: number;
  /** Runs at the start of every periodic sync (the shared registry brought into the local copy first). */
  beforeSync?: () => Promise<unknown>;
  /**
   * An incremental shared store's pass (SharedStore.syncFleet): the devices changed since the last. With it a periodic
   * sync re-reads those only, by id (O(changed devices)); without it, every device.
   */
  syncChanges?: () => Promise<FleetSyncChanges>;
  /** Called when a periodic sync fails (the rows keep their last values; the next tick retries). */
  onSyncError?: (error: unknown) => void;
  /** Expiries applied per turn (EXPIRY_CHUNK_DEVICES unless a test says otherwise). */
  expiryChunkDevices?: number;
}

type DirtyKind = 'aggregate' | 'device';

/** What changed in a shared store since its last pass: `devices` (device and aggregate) and `aggregates` (aggregate only). */
export interface FleetSyncChanges {
  devices: readonly string[];
  aggregates: readonly string[];
}

/**
 * Every device's fleet row and the fleet totals, kept current as devices change (O(changed devices) per change, not
 * O(fleet) per request): loaded once from the store in steps, then each device named by a live-bus event (a stored
 * window, a registration or edit, a presence change) is re-read and its row replaced, its old contribution to the
 * running totals (the fleet's and its MQTT fleet's) taken out and its new one added. `online` is counted by presence
 * or by the age of the last window, expiring through a heap; accrued figures, which grow with time, are refreshed in
 * steps so that none is older than ACCRUED_REFRESH_MS. Totals are then O(1) to read.
 */
export class FleetIndex {
  private readonly rows: IndexedDevice[] = [];
  private readonly byId = new Map<string, IndexedDevice>();
  private readonly all = new FleetSums();
  private readonly byFleet = new Map<string, FleetSums>();
  private readonly heap = new OnlineExpiryHeap();
  private readonly plans = new Map<string, FigurePlan | Error>();
  /** One spec object per distinct spec (by its JSON), shared by the rows' devices; bounded as the plans are. */
  private readonly specs = new Map<string, DeviceSpec>();
  /** The changes a refresh under way is reading: their rows are behind the store until it applies them. */
  private refreshingBatch: ReadonlyMap<string, DirtyKind> | null = null;
  /** Devices heard of and not re-read yet; `aggregate`: only windows were stored since. */
  private dirty = new Map<string, DirtyKind>();
  private refreshing: Promise<void> | null = null;
  /** Refreshes and syncs run one after another on this chain, so that an older read never overwrites a newer one. */
  private exclusive: Promise<void> = Promise.resolve();
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing = false;
  /** Start of the last completed sync (or of the load): everything the store held then is in the rows. */
  private syncedAt: number | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private accruedTimer: NodeJS.Timeout | null = null;
  private accruedCursor = 0;
  private accruedCycleStartMs: number;
  private accruedAtMs: number;
  private lastAdvanceMs = -Infinity;
  /**
   * After the clock went back, the next slot whose online state is counted again (every device's, EXPIRY_CHUNK_DEVICES
   * per turn, as the expiries are; `complete` is false until the last); null: no recount under way.
   */
  private recountSlot: number | null = null;
  /** A turn that applies the expiries one call of `advance` left is scheduled. */
  private expiryDrain: NodeJS.Immediate | null = null;
  private unsubscribe: (() => void)[] = [];
  private loading: Promise<void> | null = null;
  private loaded = false;
  /** Devices in the store when the load began (what a partial answer covers part of). */
  private expectedDevices = 0;
  private stopped = false;
  /** Incremented on every change of any row and of the totals (accruedAtMs too): caches of pages and of the totals compare it. */
  version = 0;
  /**
   * Incremented on every change of a row but its online status and its accrued figure (which follow the clock): a
   * page's selection of devices that depends on neither (fleet-page.ts selectionFollowsOrderVersion) stays valid while
   * this does, and only its rows are rendered again. The accrued refresh moves `version` every ACCRUED_STEP_MS.
   */
  orderVersion = 0;
  /** The fleet's online count over time (since the service started), sampled by the accrued refresh's timer. */
  readonly onlineHistory = new OnlineHistory();
  /** GET /api/fleet/overview's figures, kept as devices change like the totals. */
  private readonly overviewSums: OverviewSums;

  constructor(private readonly deps: FleetIndexDeps) {
    this.overviewSums = new OverviewSums(
      () => this.rows,
      (id) => deps.presence.get(id),
      deps.onlineThresholdMs,
    );
    this.accruedCycleStartMs = deps.clock();
    this.accruedAtMs = this.accruedCycleStartMs;
  }

  /** Subscribe to changes, then load every device (once; later calls share the same load). */
  start(): Promise<void> {
    this.loading ??= this.load().catch((error: unknown) => {
      // The store was unreachable (a shared store's InfluxDB down at startup): the next start(), which every reader's
      // current() makes, loads again instead of every later read failing with this one's error until a restart.
      this.loading = null;
      for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
      throw error;
    });
    return this.loading;
  }

  stop(): void {
    this.stopped = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.unsubscribe = [];
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    if (this.accruedTimer !== null) clearInterval(this.accruedTimer);
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    if (this.expiryDrain !== null) clearImmediate(this.expiryDrain);
    this.expiryDrain = null;
    this.refreshTimer = null;
    this.accruedTimer = null;
    this.syncTimer = null;
  }

  get size(): number {
    return this.rows.length;
  }

  /**
   * Every change heard so far applied (what a reader that just wrote expects to see) once the startup load is done;
   * during the load, waits for it at most LOAD_WAIT_MS, then returns with what is loaded (`complete` says which).
   */
  async current(): Promise<void> {
    const loading = this.start();
    if (!this.loaded) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loading, new Promise((resolve) => (timer = setTimeout(resolve, LOAD_WAIT_MS)))]);
      clearTimeout(timer);
      if (!this.loaded) return;
    }
    if (this.refreshing !== null) await this.refreshing.catch(() => {});
    if (this.dirty.size > 0) await this.refresh();
  }

  /**
   * False while the startup load runs (totals and rows then cover only the devices loaded so far) and while the online
   * states are counted again after the clock went back (the online counts and states then mix the old time's and the
   * new one's for the devices not recounted yet).
   */
  get complete(): boolean {
    return this.loaded && this.recountSlot === null;
  }

  /**
   * `complete`, and no group's latest window being searched for after its latest device left it (the overview's
   * `lastSeenMs` figures are exact): GET /api/fleet/overview's flag; the fleet's totals and pages have no such figure.
   */
  get overviewComplete(): boolean {
    return this.complete && !this.overviewSums.pending;
  }

  /** The periodic sync's interval (ms), or null when the store is not shared and the index is change-driven only. */
  get syncIntervalMs(): number | null {
    return this.deps.syncIntervalMs ?? null;
  }

  /**
   * With a shared store: when the last completed sync (or the load) began; every change the shared store held then is
   * in the totals. Null before the load completes, and always without a shared store.
   */
  get syncedAtMs(): number | null {
    return this.deps.syncIntervalMs === undefined ? null : this.syncedAt;
  }

  /**
   * Re-read every device and aggregate from the store and replace the rows that differ (changes made through other
   * instances of a shared store). Runs after the refresh in progress, never alongside one or another sync.
   */
  sync(): Promise<void> {
    if (this.loading === null || this.syncing) return this.exclusive;
    this.syncing = true;
    const run = this.exclusive.then(async () => {
      try {
        await this.loading;
        if (!this.loaded) return;
        const startedMs = this.deps.clock();
        await this.deps.beforeSync?.();
        if (this.deps.syncChanges === undefined) await this.readAll((device, aggregate, nowMs) => this.reconcile(device, aggregate, nowMs));
        else await this.applyChanges(await this.deps.syncChanges());
        if (!this.stopped) this.syncedAt = startedMs;
      } finally {
        this.syncing = false;
      }
    });
    this.exclusive = run.catch(() => {});
    return run;
  }

  /** Registered devices: those in the store when the load began until it is done, then those indexed. */
  registeredDevices(fleet?: string): number {
    const indexed = fleet === undefined ? this.all.devices : (this.byFleet.get(fleet)?.devices ?? 0);
    return this.loaded || fleet !== undefined ? indexed : Math.max(indexed, this.expectedDevices);
  }

  /** Apply the online expiries due by now, as totals() does first: `version` then says whether the totals changed. */
  expireDue(): void {
    this.advance(this.deps.clock());
  }

  /** The totals of the fleet, or of one MQTT fleet: O(1) plus the devices whose online status expired since the last call. */
  totals(fleet?: string): FleetTotals {
    this.advance(this.deps.clock());
    const sums = fleet === undefined ? this.all : (this.byFleet.get(fleet) ?? new FleetSums());
    return {
      devices: sums.devices,
      errors: sums.errors,
      online: sums.online,
      measured: sums.measured,
      assumed: sums.devices - sums.measured,
      totalKgCO2e: sums.totalKgCO2e,
      totalRange: { min: sums.rangeMin, typical: sums.rangeTypical, max: sums.rangeMax },
      assumedTotalKgCO2e: sums.assumedTotalKgCO2e,
      accruedKgCO2e: sums.accruedKgCO2e,
      accruedAtMs: Math.min(this.accruedAtMs, this.deps.clock()),
      energyJ: sums.energyJ,
      observedS: sums.observedS,
      averagePowerW: sums.observedS > 0 ? sums.energyJ / sums.observedS : null,
    };
  }

  /**
   * The overview's figures (states, power bins, groups by MQTT fleet) of the fleet or of one MQTT fleet at `nowMs`:
   * O(groups) plus the devices whose window aged past the threshold since the last call.
   */
  overview(nowMs: number, fleet?: string): OverviewFigures {
    this.advance(nowMs);
    return this.overviewSums.figures(fleet);
  }

  /** Milliseconds since its last window within which a device without presence counts online. */
  get onlineThresholdMs(): number {
    return this.deps.onlineThresholdMs;
  }

  /** The devices in slot order (registration order as loaded); read-only for the page queries. */
  devices(): readonly IndexedDevice[] {
    return this.rows;
  }

  get(id: string): IndexedDevice | undefined {
    return this.byId.get(id);
  }

  /**
   * The row of a device whose `device` and `aggregate` are what the store holds now, or undefined when the index may
   * be behind the store for it: not loaded yet, a change heard and not yet re-read (waiting or being read), or a store
   * shared with other instances (their changes arrive only with the periodic sync). A caller then reads the store.
   * Every change made through this service is heard synchronously (the live bus) once committed and durable, before
   * it is acknowledged.
   */
  storedNow(id: string): (IndexedDevice & { device: Device }) | undefined {
    if (!this.loaded || this.stopped || this.deps.syncIntervalMs !== undefined) return undefined;
    if (this.dirty.has(id) || this.refreshingBatch?.has(id) === true) return undefined;
    const row = this.byId.get(id);
    return row?.device == null ? undefined : (row as IndexedDevice & { device: Device });
  }

  presenceOf(id: string): DevicePresence | undefined {
    return this.deps.presence.get(id);
  }

  /** Online now, as a served row says it (an errored device is offline). */
  isOnline(row: IndexedDevice, nowMs: number): boolean {
    return row.error === null && isOnlineNow(this.deps.presence.get(row.id), row.lastSeenMs, nowMs, this.deps.onlineThresholdMs);
  }

  /** The row GET /api/fleet and the live feed send, with `online` and `accrued` at `nowMs`. */
  fleetRow(row: IndexedDevice, nowMs: number): FleetDeviceRow {
    const presence = this.deps.presence.get(row.id) ?? null;
    // One object literal per case, in the answer's key order: spreading a shared base into each was most of a page's
    // render (about 50 µs a row, 5 ms for a page of 100, mostly allocation and GC).
    if (row.error !== null || row.plan === null) {
      return {
        id: row.id,
        name: row.name,
        fleet: row.fleet,
        system: row.system,
        grid: row.grid,
        energyJ: row.energyJ,
        observedS: row.observedS,
        windows: row.windows,
        inferences: row.inferences,
        online: false,
        presence,
        lastSeenMs: row.lastSeenMs,
        coverage: null,
        powerKind: 'assumed',
        powerW: 0,
        totalKgCO2e: 0,
        totalRange: ZERO_RANGE,
        assumedTotalKgCO2e: 0,
        useKgCO2e: 0,
        batteryReplacements: 0,
        accruedKgCO2e: null,
        error: row.error ?? 'the spec does not resolve',
      };
    }
    const spanS = row.lastSeenMs === null || row.firstSeenMs === null ? 0 : (row.lastSeenMs - row.firstSeenMs) / 1000;
    return {
      id: row.id,
      name: row.name,
      fleet: row.fleet,
      system: row.system,
      grid: row.grid,
      energyJ: row.energyJ,
      observedS: row.observedS,
      windows: row.windows,
      inferences: row.inferences,
      online: isOnlineNow(presence ?? undefined, row.lastSeenMs, nowMs, this.deps.onlineThresholdMs),
      presence,
      lastSeenMs: row.lastSeenMs,
      coverage: spanS > 0 ? Math.min(1, row.observedS / spanS) : null,
      powerKind: row.measured ? 'measured' : 'assumed',
      powerW: row.powerW,
      totalKgCO2e: row.totalKgCO2e,
      totalRange: row.totalRange,
      assumedTotalKgCO2e: row.assumedTotalKgCO2e,
      useKgCO2e: row.useKgCO2e,
      batteryReplacements: row.batteryReplacements,
      accruedKgCO2e: this.accruedAt(row, nowMs),
      error: null,
    };
  }

  private accruedAt(row: IndexedDevice, nowMs: number): number | null {
    if (row.deployedMs === null || row.plan === null || row.error !== null) return null;
    return accruedFigures(row.plan, row.powerW, Math.max(0, (nowMs - row.deployedMs) / 1000)).kgCO2e;
  }

  private async load(): Promise<void> {
    this.unsubscribe.push(
      this.deps.bus.subscribe((event) => {
        if (event.type === 'windows') this.markDirty(event.deviceId, 'aggregate');
        else if (event.type === 'device') this.markDirty(event.deviceId, 'device');
      }),
      this.deps.presence.onChange((deviceId) => this.onPresence(deviceId)),
    );
    this.expectedDevices = await this.deps.store.countDevices();
    const startedMs = this.deps.clock();
    await this.readAll((device, aggregate, nowMs) => {
      if (!this.byId.has(device.id)) this.upsert(device, aggregate, nowMs);
    });
    if (this.stopped) return;
    this.loaded = true;
    this.syncedAt = startedMs;
    this.sampleOnline();
    this.accruedTimer = setInterval(() => {
      this.refreshAccruedStep();
      this.sampleOnline();
    }, ACCRUED_STEP_MS);
    this.accruedTimer.unref();
    if (this.deps.syncIntervalMs !== undefined) this.schedulePeriodicSync(this.deps.syncIntervalMs);
    if (this.dirty.size > 0) this.scheduleRefresh();
  }

  /** The next periodic sync in `delayMs`; each one schedules the next when it is done (nextSyncDelayMs). */
  private schedulePeriodicSync(delayMs: number): void {
    const { syncIntervalMs, onSyncError } = this.deps;
    if (syncIntervalMs === undefined || this.stopped) return;
    this.syncTimer = setTimeout(() => {
      const startedMs = this.deps.clock();
      void this.sync()
        .catch((error: unknown) => onSyncError?.(error))
        .finally(() => this.schedulePeriodicSync(nextSyncDelayMs(syncIntervalMs, this.deps.clock() - startedMs)));
    }, delayMs);
    this.syncTimer.unref();
  }

  /** Every device with its aggregate, LOAD_PAGE_DEVICES per store read, yielding once a turn's budget is spent. */
  private async readAll(apply: (device: Device, aggregate: DeviceAggregate | undefined, nowMs: number) => void): Promise<void> {
    let afterId: string | undefined;
    const budget = new StepBudget();
    while (!this.stopped) {
      const page = await this.deps.store.listDevicesWithAggregates({ limit: LOAD_PAGE_DEVICES, offset: 0, ...(afterId === undefined ? {} : { afterId }) });
      const nowMs = this.deps.clock();
      for (const { device, aggregate } of page) apply(device, aggregate, nowMs);
      if (page.length < LOAD_PAGE_DEVICES) break;
      afterId = page[page.length - 1]!.device.id;
      await budget.yieldIfDue();
    }
  }

  /** A sync's changed devices re-read by id, in slices within the turn's budget; on a failure the rest wait for a refresh. */
  private async applyChanges(changes: FleetSyncChanges): Promise<void> {
    const batch = new Map<string, DirtyKind>();
    for (const id of changes.aggregates) batch.set(id, 'aggregate');
    for (const id of changes.devices) batch.set(id, 'device');
    const ids = [...batch.keys()];
    const budget = new StepBudget();
    for (let start = 0; start < ids.length && !this.stopped; start += REFRESH_CHUNK_DEVICES) {
      try {
        await this.refreshSlice(ids.slice(start, start + REFRESH_CHUNK_DEVICES), batch);
      } catch (error) {
        for (const id of ids.slice(start)) if (this.dirty.get(id) !== 'device') this.dirty.set(id, batch.get(id)!);
        this.scheduleRefresh();
        throw error;
      }
      await budget.yieldIfDue();
    }
  }

  /** A sync's read of one device: its row replaced only where it differs (a new device, an edit, new windows). */
  private reconcile(device: Device, aggregate: DeviceAggregate | undefined, nowMs: number): void {
    const row = this.byId.get(device.id);
    if (row === undefined || row.deviceStamp !== deviceStamp(device)) this.upsert(device, aggregate, nowMs);
    else if (!sameAggregate(row, aggregate)) this.updateAggregate(row, aggregate, nowMs);
  }

  private markDirty(deviceId: string, kind: DirtyKind): void {
    if (this.dirty.get(deviceId) !== 'device') this.dirty.set(deviceId, kind);
    this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== null || this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, REFRESH_DELAY_MS);
    this.refreshTimer.unref();
  }

  /**
   * Re-read the devices changed so far, in slices (a device whose windows changed: its aggregate only; one registered,
   * edited or whose presence changed: device and aggregate). One refresh at a time, shared by every caller waiting for
   * it; changes heard meanwhile wait for the next one, so a reader never waits for more than two.
   */
  private refresh(): Promise<void> {
    if (this.refreshing !== null) return this.refreshing;
    if (this.loading === null || this.dirty.size === 0) return Promise.resolve();
    const batch = this.dirty;
    this.dirty = new Map();
    this.refreshingBatch = batch;
    const previous = this.exclusive;
    this.refreshing = (async () => {
      try {
        await previous;
        await this.loading;
        const ids = [...batch.keys()];
        const budget = new StepBudget();
        for (let start = 0; start < ids.length && !this.stopped; start += REFRESH_CHUNK_DEVICES) {
          const chunk = ids.slice(start, start + REFRESH_CHUNK_DEVICES);
          try {
            await this.refreshSlice(chunk, batch);
          } catch (error) {
            // The store failed (closing, unreachable): keep the devices to retry later rather than lose their change.
            for (const id of ids.slice(start)) if (!this.dirty.has(id)) this.dirty.set(id, batch.get(id)!);
            throw error;
          }
          if (start + REFRESH_CHUNK_DEVICES < ids.length) await budget.yieldIfDue();
        }
      } finally {
        this.refreshing = null;
        this.refreshingBatch = null;
        if (this.dirty.size > 0) this.scheduleRefresh();
      }
    })();
    this.exclusive = this.refreshing.catch(() => {});
    return this.refreshing;
  }

  private async refreshSlice(ids: readonly string[], batch: ReadonlyMap<string, DirtyKind>): Promise<void> {
    const { store } = this.deps;
    const loaded = await Promise.all(
      ids.map(async (id) => {
        const known = this.byId.get(id);
        const device = batch.get(id) === 'aggregate' && known !== undefined ? null : await store.getDevice(id);
        return { id, device, aggregate: await store.getAggregate(id) };
      }),
    );
    const nowMs = this.deps.clock();
    for (const { id, device, aggregate } of loaded) {
      if (device === null) {
        // A shared store answers with the totals of its last sync until the next one (docs/fleet-truth.md): a window
        // committed here changes nothing until then, and the same totals leave the row as it is, as a sync does.
        const row = this.byId.get(id)!;
        if (!sameAggregate(row, aggregate)) this.updateAggregate(row, aggregate, nowMs);
      } else if (device !== undefined) this.upsert(device, aggregate, nowMs);
    }
  }

  private sumsOf(fleet: string | null): FleetSums | undefined {
    if (fleet === null) return undefined;
    let sums = this.byFleet.get(fleet);
    if (sums === undefined) {
      sums = new FleetSums();
      this.byFleet.set(fleet, sums);
    }
    return sums;
  }

  private contribute(row: IndexedDevice, sign: 1 | -1, nowMs: number): void {
    if (sign === 1) this.overviewSums.add(row, nowMs);
    else this.overviewSums.remove(row);
    const contribution = {
      error: row.error !== null,
      measured: row.measured,
      totalKgCO2e: row.totalKgCO2e,
      totalRange: row.totalRange,
      assumedTotalKgCO2e: row.assumedTotalKgCO2e,
      accruedKgCO2e: row.accruedKgCO2e ?? 0,
      energyJ: row.energyJ,
      observedS: row.observedS,
    };
    this.all.apply(contribution, sign);
    this.sumsOf(row.fleet)?.apply(contribution, sign);
    if (row.online) {
      this.all.online += sign;
      const fleetSums = this.sumsOf(row.fleet);
      if (fleetSums !== undefined) fleetSums.online += sign;
    }
  }

  /** The device with the spec object its equals share (100 000 devices of a few presets keep a few specs, not 100 000). */
  private withSharedSpec(device: Device, key: string): Device {
    const known = this.specs.get(key);
    if (known !== undefined) return known === device.spec ? device : { ...device, spec: known };
    setBounded(this.specs, key, device.spec, MAX_SPEC_PLANS);
    return device;
  }

  /** `key`: JSON.stringify(spec). */
  private planOf(spec: DeviceSpec, key: string): FigurePlan | Error {
    const known = this.plans.get(key);
    if (known !== undefined) return known;
    let plan: FigurePlan | Error;
    try {
      plan = planFigures(this.deps.catalogue, specInput(spec));
    } catch (error) {
      plan = error instanceof Error ? error : new Error(String(error));
    }
    setBounded(this.plans, key, plan, MAX_SPEC_PLANS);
    return plan;
  }

  /** Replace a device's row: its old contribution out, the new one in. */
  private upsert(device: Device, aggregate: DeviceAggregate | undefined, nowMs: number): void {
    let row = this.byId.get(device.id);
    if (row === undefined) {
      row = blankRow(this.rows.length, device.id);
      this.rows.push(row);
      this.byId.set(device.id, row);
    } else {
      this.contribute(row, -1, nowMs);
    }
    const system = typeof device.spec.system === 'string' ? device.spec.system : 'custom';
    row.name = device.name;
    row.fleet = device.fleet;
    row.system = system;
    row.grid = device.spec.grid;
    row.haystack = `${device.id} ${device.name} ${system} ${device.fleet ?? ''} ${device.spec.grid}`.toLowerCase();
    row.deviceStamp = deviceStamp(device);
    const specKey = JSON.stringify(device.spec);
    row.device = this.withSharedSpec(device, specKey);
    const deployedMs = device.deployedAt === null ? null : Date.parse(device.deployedAt);
    row.deployedMs = deployedMs === null || Number.isNaN(deployedMs) ? null : deployedMs;
    const plan = this.planOf(device.spec, specKey);
    row.plan = plan instanceof Error ? null : plan;
    row.specError = plan instanceof Error ? plan.message : null;
    this.applyAggregate(row, aggregate, nowMs);
  }

  /** Only the device's windows changed: its spec's plan is kept. */
  private updateAggregate(row: IndexedDevice, aggregate: DeviceAggregate | undefined, nowMs: number): void {
    this.contribute(row, -1, nowMs);
    this.applyAggregate(row, aggregate, nowMs);
  }

  private applyAggregate(row: IndexedDevice, aggregate: DeviceAggregate | undefined, nowMs: number): void {
    row.aggregate = aggregate ?? null;
    row.lastSeenMs = aggregate?.lastSeenMs ?? null;
    row.firstSeenMs = aggregate?.firstSeenMs ?? null;
    row.observedS = aggregate?.observedS ?? 0;
    row.energyJ = aggregate?.energyJ ?? 0;
    row.windows = aggregate?.windows ?? 0;
    row.inferences = aggregate?.inferences ?? 0;
    row.measured = aggregate !== undefined && aggregate.windows > 0 && aggregate.observedS > 0;
    row.powerW = row.measured ? aggregate!.energyJ / aggregate!.observedS : this.deps.catalogue.assumptions.assumedPowerW;
    row.error = row.specError;
    if (row.plan !== null) {
      try {
        const figures = lifetimeFigures(row.plan, row.powerW);
        row.totalKgCO2e = figures.totalKgCO2e;
        row.totalRange = figures.totalRange;
        row.useKgCO2e = figures.useKgCO2e;
        row.batteryReplacements = figures.batteryReplacements;
        row.assumedTotalKgCO2e = row.plan.assumedTotalKgCO2e;
        row.accruedKgCO2e = this.accruedAt(row, nowMs);
      } catch (error) {
        row.error = error instanceof Error ? error.message : String(error);
      }
    }
    if (row.error !== null) clearFigures(row);
    row.online = this.isOnline(row, nowMs);
    this.contribute(row, 1, nowMs);
    this.track(row, nowMs);
    this.version += 1;
    this.orderVersion += 1;
  }

  /**
   * Keep the heap entry of a device whose last window is fresh (error-free, and not offline by its presence): when it
   * ages past the threshold, a device online by that age goes offline in the totals, and the overview counts it again
   * (online becomes stale or offline). One heap serves both sums.
   */
  private track(row: IndexedDevice, nowMs: number): void {
    const fresh =
      row.error === null &&
      row.lastSeenMs !== null &&
      nowMs - row.lastSeenMs <= this.deps.onlineThresholdMs &&
      this.deps.presence.get(row.id)?.state !== 'offline';
    if (!fresh) {
      if (row.heapExpiryMs !== null) {
        row.heapGeneration += 1;
        row.heapExpiryMs = null;
      }
      return;
    }
    const expiryMs = row.lastSeenMs! + this.deps.onlineThresholdMs;
    // An entry that expires no later than the device does is kept: when it surfaces, the device is looked at again.
    if (row.heapExpiryMs !== null && row.heapExpiryMs <= expiryMs) return;
    row.heapGeneration += 1;
    row.heapExpiryMs = expiryMs;
    this.heap.push(expiryMs, row.slot, row.heapGeneration);
  }

  private setOnline(row: IndexedDevice, online: boolean): void {
    if (row.online === online) return;
    row.online = online;
    const delta = online ? 1 : -1;
    this.all.online += delta;
    const fleetSums = this.sumsOf(row.fleet);
    if (fleetSums !== undefined) fleetSums.online += delta;
    this.version += 1;
  }

  /**
   * Devices whose last window aged past the threshold stop counting online (in the totals and in the overview's
   * states), EXPIRY_CHUNK_DEVICES of each per call, the rest in later turns. A clock that went back recounts all, in
   * the same chunks (100 000 devices in one task were 37–49 ms, bench/fleet-edges.ts), `complete` false meanwhile.
   */
  private advance(nowMs: number): void {
    const chunk = this.deps.expiryChunkDevices ?? EXPIRY_CHUNK_DEVICES;
    const online = this.advanceOnline(nowMs, chunk);
    const overview = this.overviewSums.advance(chunk);
    if (!online || !overview) this.scheduleExpiryDrain();
  }

  /** The totals' online count at `nowMs`; false when expiries are left for a later turn. */
  private advanceOnline(nowMs: number, chunk: number): boolean {
    if (nowMs < this.lastAdvanceMs) {
      // Entries are kept only for the recounted devices; a device not recounted yet keeps its state until it is.
      this.heap.clear();
      this.recountSlot = 0;
      this.version += 1;
    }
    this.lastAdvanceMs = nowMs;
    let applied = 0;
    if (this.recountSlot !== null) {
      for (; this.recountSlot < this.rows.length; this.recountSlot += 1, applied += 1) {
        if (applied >= chunk) return false;
        const row = this.rows[this.recountSlot]!;
        row.heapExpiryMs = null;
        row.heapGeneration += 1;
        this.setOnline(row, this.isOnline(row, nowMs));
        this.overviewSums.recount(row, nowMs);
        this.track(row, nowMs);
      }
      this.recountSlot = null;
      this.version += 1; // complete again
    }
    for (; this.heap.peekMs() < nowMs; applied += 1) {
      if (applied >= chunk) return false;
      const entry = this.heap.pop()!;
      const row = this.rows[entry.slot]!;
      if (entry.generation !== row.heapGeneration) continue;
      row.heapExpiryMs = null;
      this.setOnline(row, this.isOnline(row, nowMs));
      this.overviewSums.recount(row, nowMs);
      this.track(row, nowMs);
    }
    return true;
  }

  /** The expiries a call of `advance` left, applied in the next turns, EXPIRY_CHUNK_DEVICES per turn. */
  private scheduleExpiryDrain(): void {
    if (this.expiryDrain !== null || this.stopped) return;
    this.expiryDrain = setImmediate(() => {
      this.expiryDrain = null;
      this.advance(this.deps.clock());
    });
  }

  private sampleOnline(): void {
    const nowMs = this.deps.clock();
    this.advance(nowMs);
    // A recount's online count is neither the old time's nor the new one's: no sample of it.
    if (this.recountSlot === null) this.onlineHistory.maybeRecord(nowMs, this.all.online, this.all.devices);
  }

  private onPresence(deviceId: string): void {
    const row = this.byId.get(deviceId);
    if (row === undefined) return;
    const nowMs = this.deps.clock();
    this.setOnline(row, this.isOnline(row, nowMs));
    this.overviewSums.recount(row, nowMs);
    this.track(row, nowMs);
  }

  /** One step of the accrued refresh: this step's share of the fleet, so the whole fleet is covered every ACCRUED_REFRESH_MS. */
  private refreshAccruedStep(): void {
    const n = this.rows.length;
    if (n === 0) return;
    const nowMs = this.deps.clock();
    const perStep = Math.ceil((n * ACCRUED_STEP_MS) / ACCRUED_REFRESH_MS);
    let changed = false;
    for (let done = 0; done < perStep; done += 1) {
      if (this.accruedCursor >= n) {
        this.accruedCursor = 0;
        this.accruedAtMs = this.accruedCycleStartMs;
        this.accruedCycleStartMs = nowMs;
        changed = true; // the totals' accruedAtMs moved, whether or not a row's figure did
      }
      const row = this.rows[this.accruedCursor]!;
      this.accruedCursor += 1;
      const before = row.accruedKgCO2e;
      const after = this.accruedAt(row, nowMs);
      if (before === after) continue;
      row.accruedKgCO2e = after;
      this.all.moveAccrued(before ?? 0, after ?? 0);
      this.sumsOf(row.fleet)?.moveAccrued(before ?? 0, after ?? 0);
      changed = true;
    }
    if (changed) this.version += 1;
  }
}

function blankRow(slot: number, id: string): IndexedDevice {
  return {
    slot,
    id,
    name: id,
    fleet: null,
    system: '',
    grid: '',
    haystack: '',
    deviceStamp: '',
    deployedMs: null,
    plan: null,
    specError: null,
    error: null,
    lastSeenMs: null,
    firstSeenMs: null,
    observedS: 0,
    energyJ: 0,
    windows: 0,
    inferences: 0,
    measured: false,
    powerW: 0,
    totalKgCO2e: 0,
    totalRange: ZERO_RANGE,
    assumedTotalKgCO2e: 0,
    useKgCO2e: 0,
    batteryReplacements: 0,
    accruedKgCO2e: null,
    online: false,
    device: null,
    aggregate: null,
    heapGeneration: 0,
    heapExpiryMs: null,
  };
}

function deviceStamp(device: Device): string {
  return JSON.stringify([device.updatedAt, device.name, device.fleet, device.deployedAt, device.spec]);
}

/** The row holds this aggregate already (every field a row takes from it). */
function sameAggregate(row: IndexedDevice, aggregate: DeviceAggregate | undefined): boolean {
  return (
    row.windows === (aggregate?.windows ?? 0) &&
    row.energyJ === (aggregate?.energyJ ?? 0) &&
    row.observedS === (aggregate?.observedS ?? 0) &&
    row.inferences === (aggregate?.inferences ?? 0) &&
    row.lastSeenMs === (aggregate?.lastSeenMs ?? null) &&
    row.firstSeenMs === (aggregate?.firstSeenMs ?? null)
  );
}

function clearFigures(row: IndexedDevice): void {
  row.measured = false;
  row.powerW = 0;
  row.totalKgCO2e = 0;
  row.totalRange = ZERO_RANGE;
  row.assumedTotalKgCO2e = 0;
  row.useKgCO2e = 0;
  row.batteryReplacements = 0;
  row.accruedKgCO2e = null;
}
