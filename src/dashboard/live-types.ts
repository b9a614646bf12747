import type { FleetDeviceRow } from '../service/fleet-summary.js';
import type { DeviceFootprint } from '../service/device-footprint.js';

/** One power point for the live chart: [epoch ms, watts]. */
export type PowerPoint = [tMs: number, powerW: number];

/** What one feed tick produced: the changed devices' fleet rows, new power points, and watched devices' footprints. */
export interface FeedBatch {
  atMs: number;
  rows: ReadonlyMap<string, FleetDeviceRow>;
  points: ReadonlyMap<string, readonly PowerPoint[]>;
  footprints: ReadonlyMap<string, DeviceFootprint>;
}

/** The `update` event's data, as the browser receives it. */
export interface UpdateMessage {
  atMs: number;
  rows: FleetDeviceRow[];
  points: Record<string, PowerPoint[]>;
  footprints: Record<string, DeviceFootprint>;
  /** Cumulative count of updates this client lost to its bounded buffer (device rows or points). */
  dropped: number;
}

/** The `hello` event's data, sent once per connection. */
export interface HelloMessage {
  serverNowMs: number;
  onlineThresholdMs: number;
  flushIntervalMs: number;
  device: string | null;
}
