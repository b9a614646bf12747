import type { AppendResult, Device, DeviceSpec, EnergyWindow } from '../domain/types.js';
import type { LiveBus } from '../live/live-bus.js';
import type { Store } from '../store/store.js';
import type { DeviceHello, WindowSink } from './window-sink.js';

export interface IngestCounters {
  windowsInserted: number;
  windowsDuplicate: number;
  devicesAnnounced: number;
}

/** The single path from every reader into the store and the live bus. */
export class IngestService implements WindowSink {
  readonly counters: IngestCounters = { windowsInserted: 0, windowsDuplicate: 0, devicesAnnounced: 0 };

  constructor(
    private readonly store: Store,
    private readonly bus: LiveBus,
    private readonly defaultSpec: DeviceSpec,
  ) {}

  async announce(hello: DeviceHello): Promise<Device> {
    const { device, created } = await this.store.ensureDevice({
      id: hello.deviceId,
      name: hello.board ? `${hello.deviceId} (${hello.board})` : hello.deviceId,
      fleet: hello.fleet ?? null,
      spec: this.defaultSpec,
    });
    if (created) {
      this.counters.devicesAnnounced += 1;
      this.bus.publish({ type: 'device', deviceId: device.id });
    }
    return device;
  }

  async submitWindows(windows: readonly EnergyWindow[]): Promise<AppendResult> {
    if (windows.length === 0) return { inserted: 0, duplicates: 0 };
    const result = await this.store.appendWindows(windows);
    this.counters.windowsInserted += result.inserted;
    this.counters.windowsDuplicate += result.duplicates;
    if (result.inserted > 0) {
      const lastByDevice = new Map<string, EnergyWindow>();
      for (const window of windows) lastByDevice.set(window.deviceId, window);
      for (const [deviceId, last] of lastByDevice) {
        this.bus.publish({ type: 'windows', deviceId, inserted: result.inserted, last });
      }
    }
    return result;
  }

  publishPower(deviceId: string, tMs: number, powerW: number): void {
    this.bus.publish({ type: 'power', deviceId, tMs, powerW });
  }
}
