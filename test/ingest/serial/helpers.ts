import type { Device, EnergyWindow } from '../../../src/domain/types.js';
import type { DeviceHello, SubmitResult, WindowSink } from '../../../src/ingest/window-sink.js';

/** In-memory WindowSink with the store's (deviceId, seq) uniqueness: a duplicate changes nothing. */
export class FakeSink implements WindowSink {
  readonly devices = new Map<string, DeviceHello>();
  readonly windows = new Map<string, EnergyWindow>();
  readonly power: Array<{ deviceId: string; tMs: number; powerW: number }> = [];
  duplicates = 0;

  async announce(hello: DeviceHello): Promise<Device> {
    if (!this.devices.has(hello.deviceId)) this.devices.set(hello.deviceId, hello);
    return { id: hello.deviceId } as Device;
  }

  async submitWindows(windows: readonly EnergyWindow[]): Promise<SubmitResult> {
    let inserted = 0;
    for (const window of windows) {
      if (!this.devices.has(window.deviceId)) throw new Error(`unknown device ${window.deviceId}`);
      const key = `${window.deviceId}#${window.seq}`;
      if (this.windows.has(key)) {
        this.duplicates += 1;
        continue;
      }
      this.windows.set(key, window);
      inserted += 1;
    }
    return { inserted, duplicates: windows.length - inserted };
  }

  publishPower(deviceId: string, tMs: number, powerW: number): void {
    this.power.push({ deviceId, tMs, powerW });
  }

  energyJ(deviceId: string): number {
    let total = 0;
    for (const window of this.windows.values()) if (window.deviceId === deviceId) total += window.energyJ;
    return total;
  }

  coveredS(deviceId: string): number {
    let total = 0;
    for (const window of this.windows.values()) if (window.deviceId === deviceId) total += window.durationS;
    return total;
  }
}
