import type { AppendOptions, AppendResult, Device, DeviceAggregate, DeviceInput, DevicePatch, EnergyWindow } from '../domain/types.js';

export interface ListDevicesQuery {
  limit: number;
  offset: number;
  fleet?: string;
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
  getAggregate(deviceId: string): Promise<DeviceAggregate | undefined>;
  /** Most recent windows first (by start, then seq: after a seq reset the newest windows have the lowest seqs), at most `limit`. */
  listWindows(deviceId: string, limit: number): Promise<EnergyWindow[]>;
  /** Every device with its aggregate (fleet views), in id order; `afterId` to page through all of them by key. */
  listDevicesWithAggregates(query: ListAggregatesQuery): Promise<DeviceWithAggregate[]>;
  /** Flush and release resources; any later call throws StoreClosedError. */
  close(): Promise<void>;
}
