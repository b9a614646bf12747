/** A WindowSink decorator that keeps running totals of what passed through (for `measure`'s live readout). */
import type { Device, EnergyWindow } from '../../domain/types.js';
import type { DeviceHello, SubmitResult, WindowSink } from '../window-sink.js';

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
  readonly totals: TallyTotals = {
    deviceId: null,
    board: null,
    energyJ: 0,
    coveredS: 0,
    samples: 0,
    windows: 0,
    inferences: 0,
    minPowerW: null,
    maxPowerW: null,
    lastPowerW: null,
  };

  constructor(private readonly inner: WindowSink | null) {}

  async announce(hello: DeviceHello): Promise<Device> {
    this.totals.deviceId = hello.deviceId;
    this.totals.board = hello.board ?? this.totals.board;
    if (this.inner !== null) return this.inner.announce(hello);
    return { id: hello.deviceId } as Device;
  }

  async submitWindows(windows: readonly EnergyWindow[]): Promise<SubmitResult> {
    const result = this.inner === null ? { inserted: windows.length, duplicates: 0 } : await this.inner.submitWindows(windows);
    for (const window of windows) {
      const t = this.totals;
      t.energyJ += window.energyJ;
      t.coveredS += window.durationS;
      t.samples += window.sampleCount;
      t.windows += 1;
      t.inferences += window.inferenceCount;
      if (window.minPowerW !== null) t.minPowerW = t.minPowerW === null ? window.minPowerW : Math.min(t.minPowerW, window.minPowerW);
      if (window.maxPowerW !== null) t.maxPowerW = t.maxPowerW === null ? window.maxPowerW : Math.max(t.maxPowerW, window.maxPowerW);
    }
    return result;
  }

  publishPower(deviceId: string, tMs: number, powerW: number): void {
    this.totals.lastPowerW = powerW;
    this.inner?.publishPower(deviceId, tMs, powerW);
  }

  /** Average power over the covered time, W; null before the first window. */
  get averagePowerW(): number | null {
    return this.totals.coveredS > 0 ? this.totals.energyJ / this.totals.coveredS : null;
  }
}
