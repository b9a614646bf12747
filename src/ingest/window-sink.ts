import type { AppendResult, Device, EnergyWindow } from '../domain/types.js';

/** Metadata a device announces about itself (firmware-protocol `hello`). */
export interface DeviceHello {
  deviceId: string;
  board?: string;
  firmware?: string;
  fleet?: string;
}

/**
 * Where every reader (HTTP, serial, MQTT) delivers what it measured. Implemented by IngestService.
 * `submitWindows` resolves only once the windows are durably stored (MQTT acks after it).
 */
export interface WindowSink {
  /** Register the device with the service's default spec unless it already exists. */
  announce(hello: DeviceHello): Promise<Device>;
  submitWindows(windows: readonly EnergyWindow[]): Promise<AppendResult>;
  /** Live power for the dashboard's trace; not stored. */
  publishPower(deviceId: string, tMs: number, powerW: number): void;
}
