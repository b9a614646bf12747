import type { AppendResult, Device, DeviceAggregate, DeviceInput, DevicePatch, EnergyWindow } from '../domain/types.js';

export interface ListDevicesQuery {
  limit: number;
  offset: number;
  fleet?: string;
}

export interface DeviceWithAggregate {
  device: Device;
  aggregate: DeviceAggregate | undefined;
}

/**
 * The one storage interface. Every implementation passes test/contract/store-contract.ts.
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
   * Store windows atomically: a window whose (deviceId, seq) is already stored is a duplicate and changes nothing.
   * The per-device aggregate is updated in the same transaction. NotFoundError if a device is unknown (nothing stored).
   */
  appendWindows(windows: readonly EnergyWindow[]): Promise<AppendResult>;
  getAggregate(deviceId: string): Promise<DeviceAggregate | undefined>;
  /** Most recent windows first (by seq), at most `limit`. */
  listWindows(deviceId: string, limit: number): Promise<EnergyWindow[]>;
  /** Every device with its aggregate (fleet views). */
  listDevicesWithAggregates(query: ListDevicesQuery): Promise<DeviceWithAggregate[]>;
  /** Flush and release resources; any later call throws StoreClosedError. */
  close(): Promise<void>;
}
