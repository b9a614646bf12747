import type { AppendOptions, Device, EnergyWindow } from '../domain/types.js';

/**
 * A window as a reader drafts it, before its delivery allocates the seq. `betweenMarkers` (present only when true): the
 * window was opened by an instrument's marker and closed by the next (EnergyIntegrator.marker), so its energy is
 * exactly the energy between two markers and its inferenceCount the inferences of that run: MLPerf Tiny's
 * per-inference figure is energyJ / inferenceCount of such a window. The store keeps neither field of the draft
 * that EnergyWindow lacks.
 */
export type WindowDraft = Omit<EnergyWindow, 'seq'> & { betweenMarkers?: true };

/** Metadata a device announces about itself (firmware-protocol `hello`). */
export interface DeviceHello {
  deviceId: string;
  board?: string;
  firmware?: string;
  fleet?: string;
}

/**
 * What happened to submitted windows (firmware-protocol/SPEC.md §7): stored, already stored, dropped as implausible,
 * or refused as overlapping (each counted in health). inserted + duplicates + rejected + overlaps = submitted.
 */
export interface SubmitResult {
  inserted: number;
  duplicates: number;
  /** Windows dropped by the plausibility check (absent: none). */
  rejected?: number;
  /** Windows refused because they overlap a stored window of their device (absent: none). */
  overlaps?: number;
  /** Of `inserted`: windows that re-used a seq of their device for a different window, e.g. after a reboot (absent: none). */
  seqResets?: number;
}

/** How a submission ends: `error` null and its result, or why nothing is stored (OverloadError, ValidationError, …; never null). */
export type SubmitCallback = (error: unknown, result?: SubmitResult) => void;

/**
 * Where every reader (HTTP, serial, MQTT) delivers what it measured. Implemented by IngestService.
 * `submitWindows` resolves only once the windows are durably stored (MQTT acks after it).
 */
export interface WindowSink {
  /** Register the device with the service's default spec unless it already exists. */
  announce(hello: DeviceHello): Promise<Device>;
  /** `options.onRefusal: 'refuse-batch'` (HTTP): an overlap stores none of the batch and throws WindowRefusedError. */
  submitWindows(windows: readonly EnergyWindow[], options?: AppendOptions): Promise<SubmitResult>;
  /**
   * The same without a promise per submission (IngestService has it): `done` is called once, possibly before this
   * returns. Optional: `submitWith` goes through `submitWindows` for a sink without it.
   */
  submitWindowsWith?(windows: readonly EnergyWindow[], options: AppendOptions, done: SubmitCallback): void;
  /** Live power for the dashboard's trace; not stored. */
  publishPower(deviceId: string, tMs: number, powerW: number): void;
}

/** Submit through the sink's callback form when it has one, else through its promise. */
export function submitWith(sink: WindowSink, windows: readonly EnergyWindow[], options: AppendOptions, done: SubmitCallback): void {
  if (sink.submitWindowsWith !== undefined) {
    sink.submitWindowsWith(windows, options, done);
    return;
  }
  sink.submitWindows(windows, options).then(
    (result) => done(null, result),
    (error: unknown) => done(error ?? new Error('submission failed without an error')),
  );
}
