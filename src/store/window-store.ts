/**
 * The time-series seam: where judged windows go and where their per-device totals are read back in batches. The
 * device registry and the identity judge stay in the local Store (store.ts); a WindowStore only keeps points, written
 * idempotently (a window written twice is one point) and possibly far away (InfluxDB), so every call is a batch.
 * Every implementation passes test/store/window-store-contract.ts, which checks the capabilities it declares.
 */
import type { DeviceAggregate, EnergyWindow } from '../domain/types.js';

/** A window as the local store judged and numbered it: its seq use (SPEC.md §7.2) is part of its identity. */
export interface StoredWindow extends EnergyWindow {
  /** 0 for the first window stored under (device, seq), n for its n-th re-use. */
  seqUse: number;
}

export interface WindowStoreCapabilities {
  /**
   * `immediate`: aggregates read right after writeWindows resolved include what it wrote. `eventual`: they include
   * it within `maxReadLagMs` (InfluxDB acknowledges a write once it is in its WAL; a query may run before the cache
   * serves it).
   */
  readAfterWrite: 'immediate' | 'eventual';
  /** For `eventual`: how long after a write its points may be missing from reads at most (ms). */
  maxReadLagMs: number;
  /**
   * True for a store behind a network: its failures are StoreUnavailableError (transient: retry) or StoreRejectedError
   * (permanent), never a raw client error.
   */
  networked: boolean;
}

export interface WindowStore {
  readonly kind: string;
  readonly capabilities: WindowStoreCapabilities;
  /**
   * Write the windows; writing a window again (the same identity) leaves one point with its content. Resolves once the
   * store acknowledged the whole batch. Networked stores reject with StoreUnavailableError or StoreRejectedError.
   */
  writeWindows(windows: readonly StoredWindow[]): Promise<void>;
  /** The totals of each named device that has windows (devices without any are absent), read in as few requests as the store allows. */
  aggregates(deviceIds: readonly string[]): Promise<Map<string, DeviceAggregate>>;
  /** Release resources; any later call throws StoreClosedError. */
  close(): Promise<void>;
}
