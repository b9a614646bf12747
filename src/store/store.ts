import type { AppendOptions, AppendResult, Device, DeviceAggregate, DeviceInput, DevicePatch, EnergyWindow } from '../domain/types.js';

export interface ListDevicesQuery {
  limit: number;
  offset: number;
  fleet?: string;
}

/** One appendWindows call, as a member of a group committed together (Store.appendWindowGroups). */
export interface AppendRequest {
  windows: readonly EnergyWindow[];
  options?: AppendOptions;
}

/** What became of one request of a group: its result, or the error appendWindows would have thrown for it alone. */
export type AppendGroupOutcome = { ok: true; result: AppendResult } | { ok: false; error: Error };

/** Where a page of windows by time range ended: the last window's order key (start, seq, seq use). */
export interface WindowCursor {
  startMs: number;
  seq: number;
  seqUse: number;
}

export interface WindowRangeQuery {
  /** Windows starting at or after this (Unix ms). */
  fromMs: number;
  /** Windows starting before this (Unix ms). */
  toMs: number;
  limit: number;
  /** Continue after this window (the `next` of the page before). */
  after?: WindowCursor;
}

/** Per-bucket totals of the windows starting in [startMs, startMs + step). */
export interface SeriesBucket {
  startMs: number;
  windows: number;
  energyJ: number;
  observedS: number;
  inferences: number;
  minPowerW: number | null;
  maxPowerW: number | null;
}

/** A page of devices with aggregates; `afterId` pages by key (O(page) however deep), where `offset` costs O(offset). */
export interface ListAggregatesQuery extends ListDevicesQuery {
  /** Only devices whose id sorts after this one (the last id of the previous page). */
  afterId?: string;
}

export interface DeviceWithAggregate {
  device: Device;
  aggregate: DeviceAggregate | undefined;
}

/**
 * The one storage interface. Every implementation passes test/store/store-contract.ts.
 * All methods are async so that a networked store (InfluxDB) fits behind the same seam.
 * Methods throw NotFoundError / ConflictError from src/domain/errors.ts; they never swallow a failure.
 */
export interface Store {
  readonly kind: string;
  /** Create a device; ConflictError when the id exists. */
  createDevice(input: DeviceInput): Promise<Device>;
  /**
   * Create many devices in one transaction (bulk registration, a fleet manifest). `onExisting: 'fail'` (default):
   * ConflictError naming the ids that exist, nothing created; `'skip'`: existing devices are left as they are and
   * listed in `existing`. ValidationError (nothing created) for a malformed input or an id given twice.
   */
  createDevices(inputs: readonly DeviceInput[], options?: { onExisting?: 'fail' | 'skip' }): Promise<{ created: number; existing: string[] }>;
  /** Merge a patch into a device; NotFoundError when absent. */
  updateDevice(id: string, patch: DevicePatch): Promise<Device>;
  /** Create the device unless it exists; never changes an existing one. */
  ensureDevice(input: DeviceInput): Promise<{ device: Device; created: boolean }>;
  getDevice(id: string): Promise<Device | undefined>;
  listDevices(query: ListDevicesQuery): Promise<Device[]>;
  /** All devices, or those of one fleet. */
  countDevices(fleet?: string): Promise<number>;
  /**
   * Store windows atomically, judging each (in batch order) against everything stored before it, this batch's earlier
   * windows included (firmware-protocol/SPEC.md §7, src/domain/window-identity.ts):
   * - a window that is a stored window of its device again (same seq, same reported content: isSameWindow) is a
   *   duplicate and changes nothing;
   * - a different window under a stored seq (a device restarting seq after a reboot) is a new window, stored and
   *   counted in `seqResets`, unless it overlaps;
   * - a device-stamped window that overlaps a stored device-stamped window of its device beyond the tolerance is
   *   refused (`overlap`): not stored, counted in `overlaps` and listed in `refused`;
   * - anything else is stored, and the per-device aggregate is updated in the same transaction.
   * With `onRefusal: 'refuse-batch'` a refusal stores none of the batch and throws WindowRefusedError.
   * NotFoundError if a device is unknown, ValidationError for a malformed window (nothing stored).
   */
  appendWindows(windows: readonly EnergyWindow[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Group commit: several appendWindows requests in one transaction (one commit, one fsync), in order, each judged
   * exactly as appendWindows would judge it after the requests before it. A request's failure (ValidationError,
   * NotFoundError, WindowRefusedError in refuse-batch mode) stores none of that request and is returned as its outcome;
   * the other requests are stored all the same. Rejects (nothing of any request stored) only when the transaction
   * itself fails (disk full, SQLITE_BUSY past the timeout, a closed store).
   */
  appendWindowGroups(requests: readonly AppendRequest[]): Promise<AppendGroupOutcome[]>;
  getAggregate(deviceId: string): Promise<DeviceAggregate | undefined>;
  /** Most recent windows first (by start, then seq: after a seq reset the newest windows have the lowest seqs), at most `limit`. */
  listWindows(deviceId: string, limit: number): Promise<EnergyWindow[]>;
  /** The device's windows of span `inferences` (marker-bounded inference runs), newest first, at most `limit`. */
  listInferenceSpans(deviceId: string, limit: number): Promise<EnergyWindow[]>;
  /**
   * Windows starting in [fromMs, toMs), oldest first (by start, seq, seq use), at most `limit`, after `after`;
   * `next` is the cursor of the page's last window when more follow, else null.
   */
  listWindowsInRange(deviceId: string, query: WindowRangeQuery): Promise<{ windows: EnergyWindow[]; next: WindowCursor | null }>;
  /**
   * The device's windows starting in [fromMs, toMs), summed per bucket of `stepMs` from `fromMs` (a window counts in
   * the bucket of its start); only buckets holding windows, oldest first.
   */
  windowSeries(deviceId: string, query: { fromMs: number; toMs: number; stepMs: number }): Promise<SeriesBucket[]>;
  /** Every device with its aggregate (fleet views), in id order; `afterId` to page through all of them by key. */
  listDevicesWithAggregates(query: ListAggregatesQuery): Promise<DeviceWithAggregate[]>;
  /** Flush and release resources; any later call throws StoreClosedError. */
  close(): Promise<void>;
}
