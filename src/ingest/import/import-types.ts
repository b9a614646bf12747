/**
 * What an import parser gives: the windows a measurement file holds, relative to its own start, with the
 * instrument and format it came from. Parsers are pure (bytes in, this out); import-windows.ts gives the windows
 * their device, seq and start.
 */
import type { InstrumentId, WindowSpan } from '../../domain/instruments.js';

export const IMPORT_FORMATS = ['energyrunner-trace', 'energyrunner-results', 'ppk-csv', 'joulescope-csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** One file of an import: its name (without folders) and its bytes. */
export interface ImportFile {
  name: string;
  bytes: Uint8Array;
}

export interface ImportedWindow {
  /** Offset of the window's start from the run's start, ms. */
  offsetMs: number;
  durationS: number;
  energyJ: number;
  sampleCount: number;
  minPowerW: number | null;
  maxPowerW: number | null;
  inferenceCount: number;
  span: WindowSpan;
}

export interface ImportedRun {
  format: ImportFormat;
  instrument?: InstrumentId;
  windows: ImportedWindow[];
  /** Unix ms of the run's start when the files say (an EnergyRunner session folder's name); else null. */
  startMs: number | null;
  /** The instrument's sample period, s, when known (the sampling-rate check uses it). */
  samplePeriodS: number | null;
  /** What the reader should know about how the files were read. */
  notes: string[];
}

export interface ImportOptions {
  /** Supply voltage, V: a current-only export (PPK2 CSV) needs it for power. */
  voltageV?: number;
}
