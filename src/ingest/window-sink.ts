import type { Device, EnergyWindow } from '../domain/types.js';

/** Metadata a device announces about itself (firmware-protocol `hello`). */
export interface DeviceHello {
  deviceId: string;
  board?: string;
  firmware?: string;
  fleet?: string;
}

/** What happened to submitted windows: stored, already stored, or dropped as implausible (counted in health). */
export interface SubmitResult {
  inserted: number;
  duplicates: number;
  /** Windows dropped by the plausibility check (absent: none). */
  rejected?: number;
}

/**
 * Where every reader (HTTP, serial, MQTT) delivers what it measured. Implemented by IngestService.
 * `submitWindows` resolves only once the windows are durably stored (MQTT acks after it).
 */
export interface WindowSink {
  /** Register the device with the service's default spec unless it already exists. */
  announce(hello: DeviceHello): Promise<Device>;
  submitWindows(windows: readonly EnergyWindow[]): Promise<SubmitResult>;
  /** Live power for the dashboard's trace; not stored. */
  publishPower(deviceId: string, tMs: number, powerW: number): void;
}
