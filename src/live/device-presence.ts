/**
 * Per-device presence from the transports that know it: a device's retained MQTT status (`online` when it connects,
 * `offline` as its last will, published by the broker the moment its connection dies) and, on the embedded broker,
 * its connections themselves. Without presence a device counts as online until its last window is older than the
 * online threshold (60 s); with it, it goes offline as soon as the will fires. In memory: after a restart the retained
 * statuses (external broker) or the devices' reconnects (embedded broker) bring it back.
 */

export type PresenceState = 'online' | 'offline';
/** `status`: the device's status topic (its own `online`, or its last will); `connection`: the embedded broker saw it. */
export type PresenceVia = 'status' | 'connection';

export interface DevicePresence {
  state: PresenceState;
  /** When this state was reported (server clock, epoch ms). */
  sinceMs: number;
  via: PresenceVia;
}

/** What a transport reports into (the MQTT layer); the registry implements it. */
export interface PresenceSink {
  report(deviceId: string, state: PresenceState, via: PresenceVia): void;
}

/** Devices whose presence is remembered; past this the oldest report is forgotten (that device falls back to last-seen). */
export const MAX_PRESENCE_DEVICES = 100_000;

export class PresenceRegistry implements PresenceSink {
  private readonly byDevice = new Map<string, DevicePresence>();
  private readonly listeners = new Set<(deviceId: string) => void>();
  /** Incremented on every change: caches of derived views (the fleet summary) compare it. */
  version = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  report(deviceId: string, state: PresenceState, via: PresenceVia): void {
    const current = this.byDevice.get(deviceId);
    if (current !== undefined && current.state === state) return;
    if (current === undefined && this.byDevice.size >= MAX_PRESENCE_DEVICES) this.byDevice.delete(this.byDevice.keys().next().value!);
    this.byDevice.delete(deviceId); // re-inserted last: the map's order is the age of the reports
    this.byDevice.set(deviceId, { state, sinceMs: this.clock(), via });
    this.version += 1;
    for (const listener of this.listeners) listener(deviceId);
  }

  get(deviceId: string): DevicePresence | undefined {
    return this.byDevice.get(deviceId);
  }

  /** Called with the device id after each change. */
  onChange(listener: (deviceId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** A device is online when its last window ended less than this ago (ms): 3 missed 10 s windows, plus slack. */
export const ONLINE_THRESHOLD_MS = 60_000;

/** Online by presence when a transport reported it, else by the last window's age (the rule without presence). */
export function isOnlineNow(presence: DevicePresence | undefined, lastSeenMs: number | null, nowMs: number, onlineThresholdMs: number): boolean {
  if (presence !== undefined) return presence.state === 'online';
  return lastSeenMs !== null && nowMs - lastSeenMs <= onlineThresholdMs;
}
