import { ValidationError, WindowRefusedError } from '../domain/errors.js';
import type { AppendOptions, AppendResult, Device, DeviceSpec, EnergyWindow, RefusedWindow, WindowRefusalReason } from '../domain/types.js';
import { windowRejection, type WindowRejection, type WindowRejectReason } from '../domain/window-plausibility.js';
import type { LiveBus } from '../live/live-bus.js';
import type { Store } from '../store/store.js';
import type { DeviceHello, SubmitResult, WindowSink } from './window-sink.js';

export interface IngestCounters {
  windowsInserted: number;
  windowsDuplicate: number;
  /** Of windowsInserted: windows stored under a seq their device had used for another window (a reboot restarting seq). */
  windowsSeqReset: number;
  /** Windows not stored: implausible, or refused by the store (overlap). */
  windowsRejected: number;
  /** Rejected windows by reason: the window rules (unit mistakes, unset clocks; malformed) or `overlap` (SPEC.md §7). */
  rejectedByReason: Partial<Record<WindowRejectReason | WindowRefusalReason, number>>;
  lastRejection: string | null;
  devicesAnnounced: number;
}

/** The single path from every reader into the store and the live bus. */
export class IngestService implements WindowSink {
  readonly counters: IngestCounters = {
    windowsInserted: 0,
    windowsDuplicate: 0,
    windowsSeqReset: 0,
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
   * Checks every window against the window rules (once: no source checks them again), stores the accepted ones
   * (resolves once they are durable) and drops the others with a counted reason: a dropped window is not retried, so
   * a source must treat it as handled (MQTT acks it). With `onRefusal: 'refuse-batch'` (HTTP) a refused window
   * stores none of the batch: ValidationError naming the first one (counted all the same, as the store's refusals).
   */
  async submitWindows(windows: readonly EnergyWindow[], options: AppendOptions = {}): Promise<SubmitResult> {
    const nowMs = this.clock();
    const plausible: EnergyWindow[] = [];
    let firstRejection: (WindowRejection & { index: number }) | null = null;
    for (const [index, window] of windows.entries()) {
      const rejection = windowRejection(window, nowMs);
      if (rejection === null) {
        plausible.push(window);
        continue;
      }
      firstRejection ??= { ...rejection, index };
      this.countRejection(rejection.reason, `${window.source} ${window.deviceId}#${window.seq}: ${rejection.detail}`);
    }
    if (firstRejection !== null && options.onRefusal === 'refuse-batch') {
      const { index, detail, reason } = firstRejection;
      throw new ValidationError(`windows.${index}: ${detail}`, [`reason: ${reason}`]);
    }
    const rejected = windows.length - plausible.length;
    if (plausible.length === 0) return { inserted: 0, duplicates: 0, rejected, overlaps: 0, seqResets: 0 };
    let result: AppendResult;
    try {
      result = await this.store.appendWindows(plausible, options);
    } catch (error) {
      // refuse-batch: nothing was stored; the refusals are counted all the same (the caller answers them).
      if (error instanceof WindowRefusedError) this.countRefusals(plausible, error.refused);
      throw error;
    }
    this.countRefusals(plausible, result.refused);
    this.counters.windowsInserted += result.inserted;
    this.counters.windowsDuplicate += result.duplicates;
    this.counters.windowsSeqReset += result.seqResets;
    const lastByDevice = new Map<string, EnergyWindow>();
    for (const window of plausible) lastByDevice.set(window.deviceId, window);
    for (const [deviceId, inserted] of Object.entries(result.insertedByDevice)) {
      const last = lastByDevice.get(deviceId);
      if (inserted > 0 && last !== undefined) this.bus.publish({ type: 'windows', deviceId, inserted, last });
    }
    return { inserted: result.inserted, duplicates: result.duplicates, rejected, overlaps: result.overlaps, seqResets: result.seqResets };
  }

  private countRefusals(windows: readonly EnergyWindow[], refused: readonly RefusedWindow[]): void {
    for (const refusal of refused) {
      const source = windows[refusal.index]?.source ?? '?';
      this.countRejection(refusal.reason, `${source} ${refusal.deviceId}#${refusal.seq}: ${refusal.detail}`);
    }
  }

  private countRejection(reason: WindowRejectReason | WindowRefusalReason, detail: string): void {
    this.counters.windowsRejected += 1;
    this.counters.rejectedByReason[reason] = (this.counters.rejectedByReason[reason] ?? 0) + 1;
    this.counters.lastRejection = detail;
  }

  publishPower(deviceId: string, tMs: number, powerW: number): void {
    this.bus.publish({ type: 'power', deviceId, tMs, powerW });
  }
}
