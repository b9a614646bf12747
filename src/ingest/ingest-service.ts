import type { Device, DeviceSpec, EnergyWindow } from '../domain/types.js';
import { implausibility, type ImplausibleReason } from '../domain/window-plausibility.js';
import type { LiveBus } from '../live/live-bus.js';
import type { Store } from '../store/store.js';
import type { DeviceHello, SubmitResult, WindowSink } from './window-sink.js';

export interface IngestCounters {
  windowsInserted: number;
  windowsDuplicate: number;
  windowsRejected: number;
  /** Implausible windows by reason (unit mistakes, unset clocks). */
  rejectedByReason: Partial<Record<ImplausibleReason, number>>;
  lastRejection: string | null;
  devicesAnnounced: number;
}

/** The single path from every reader into the store and the live bus. */
export class IngestService implements WindowSink {
  readonly counters: IngestCounters = {
    windowsInserted: 0,
    windowsDuplicate: 0,
    windowsRejected: 0,
    rejectedByReason: {},
    lastRejection: null,
    devicesAnnounced: 0,
  };

  constructor(
    private readonly store: Store,
    private readonly bus: LiveBus,
    private readonly defaultSpec: DeviceSpec,
    private readonly clock: () => number = Date.now,
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

  /**
   * Stores the plausible windows (resolves once they are durable) and drops the others with a counted reason:
   * a dropped window is not retried, so a source must treat it as handled (MQTT acks it).
   */
  async submitWindows(windows: readonly EnergyWindow[]): Promise<SubmitResult> {
    const nowMs = this.clock();
    const plausible: EnergyWindow[] = [];
    for (const window of windows) {
      const problem = implausibility(window, nowMs);
      if (problem === null) {
        plausible.push(window);
        continue;
      }
      this.counters.windowsRejected += 1;
      this.counters.rejectedByReason[problem.reason] = (this.counters.rejectedByReason[problem.reason] ?? 0) + 1;
      this.counters.lastRejection = `${window.source} ${window.deviceId}#${window.seq}: ${problem.detail}`;
    }
    const rejected = windows.length - plausible.length;
    if (plausible.length === 0) return { inserted: 0, duplicates: 0, rejected };
    const result = await this.store.appendWindows(plausible);
    this.counters.windowsInserted += result.inserted;
    this.counters.windowsDuplicate += result.duplicates;
    const lastByDevice = new Map<string, EnergyWindow>();
    for (const window of plausible) lastByDevice.set(window.deviceId, window);
    for (const [deviceId, inserted] of Object.entries(result.insertedByDevice)) {
      const last = lastByDevice.get(deviceId);
      if (inserted > 0 && last !== undefined) this.bus.publish({ type: 'windows', deviceId, inserted, last });
    }
    return { inserted: result.inserted, duplicates: result.duplicates, rejected };
  }

  publishPower(deviceId: string, tMs: number, powerW: number): void {
    this.bus.publish({ type: 'power', deviceId, tMs, powerW });
  }
}
