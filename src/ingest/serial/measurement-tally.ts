/** A WindowSink decorator that keeps running totals of what passed through (for `measure`'s live readout). */
import type { Device, EnergyWindow } from '../../domain/types.js';
import { addWindow, EMPTY_WINDOW_TOTALS, type WindowTotals } from '../../domain/window-totals.js';
import type { DeviceHello, SubmitResult, WindowSink } from '../window-sink.js';

/** The window totals (domain/window-totals.ts) in `measure`'s words, with the device and its last live power. */
export interface TallyTotals {
  deviceId: string | null;
  board: string | null;
  energyJ: number;
  coveredS: number;
  samples: number;
  windows: number;
  inferences: number;
  minPowerW: number | null;
  maxPowerW: number | null;
  lastPowerW: number | null;
}

/** Forwards to `inner` when given (e.g. IngestService with --store); otherwise only counts. */
export class MeasurementTally implements WindowSink {
  private deviceId: string | null = null;
  private board: string | null = null;
  private lastPowerW: number | null = null;
  private windowTotals: WindowTotals = EMPTY_WINDOW_TOTALS;

  constructor(private readonly inner: WindowSink | null) {}

  /** What passed through so far (a snapshot). */
  get totals(): TallyTotals {
    const t = this.windowTotals;
    return {
      deviceId: this.deviceId,
      board: this.board,
      energyJ: t.energyJ,
      coveredS: t.observedS,
      samples: t.samples,
      windows: t.windows,
      inferences: t.inferences,
      minPowerW: t.minPowerW,
      maxPowerW: t.maxPowerW,
      lastPowerW: this.lastPowerW,
    };
  }

  async announce(hello: DeviceHello): Promise<Device> {
    this.deviceId = hello.deviceId;
    this.board = hello.board ?? this.board;
    if (this.inner !== null) return this.inner.announce(hello);
    return { id: hello.deviceId } as Device;
  }

  async submitWindows(windows: readonly EnergyWindow[]): Promise<SubmitResult> {
    const result = this.inner === null ? { inserted: windows.length, duplicates: 0 } : await this.inner.submitWindows(windows);
    for (const window of windows) this.windowTotals = addWindow(this.windowTotals, window);
    return result;
  }

  publishPower(deviceId: string, tMs: number, powerW: number): void {
    this.lastPowerW = powerW;
    this.inner?.publishPower(deviceId, tMs, powerW);
  }

  /** Average power over the covered time, W; null before the first window. */
  get averagePowerW(): number | null {
    return this.windowTotals.observedS > 0 ? this.windowTotals.energyJ / this.windowTotals.observedS : null;
  }
}
