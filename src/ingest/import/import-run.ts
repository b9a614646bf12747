/**
 * One import, end to end but for reading the files: parse, give the windows their device and seqs, and submit them
 * to the sink as one batch that is stored whole or not at all (`refuse-batch`). Shared by `tinyml-footprint import`
 * and POST /api/devices/:id/import.
 */
import { ValidationError } from '../../domain/errors.js';
import type { InstrumentId } from '../../domain/instruments.js';
import { DEVICE_ID_PATTERN } from '../../protocol/limits.js';
import type { WindowSink } from '../window-sink.js';
import { parseImport } from './detect.js';
import type { ImportedRun, ImportFile, ImportFormat, ImportOptions } from './import-types.js';
import { windowsFromRun } from './import-windows.js';

export interface ImportRequest extends ImportOptions {
  deviceId: string;
  files: readonly ImportFile[];
  /** The session folder's own name, when the files came from one (an EnergyRunner session is named by its time). */
  folderName?: string;
  /** Unix ms where the run starts on the device's time line; default: the files' own time, else so that it ends now. */
  startMs?: number;
}

export interface ImportSummary {
  deviceId: string;
  format: ImportFormat;
  instrument: InstrumentId | null;
  windows: number;
  inserted: number;
  duplicates: number;
  startMs: number;
  observedS: number;
  energyJ: number;
  inferences: number;
  samplePeriodS: number | null;
  notes: string[];
}

export async function importFiles(sink: WindowSink, request: ImportRequest, nowMs: number): Promise<{ summary: ImportSummary; run: ImportedRun }> {
  if (!DEVICE_ID_PATTERN.test(request.deviceId)) throw new ValidationError(`device id "${request.deviceId}": 1–64 characters of A-Z a-z 0-9 _ . -`);
  const run = parseImport(request.files, request, request.folderName);
  const lastEndMs = Math.max(...run.windows.map((w) => w.offsetMs + w.durationS * 1000));
  const startMs = request.startMs ?? run.startMs ?? nowMs - lastEndMs;
  const windows = windowsFromRun(run, request.deviceId, startMs);
  await sink.announce({ deviceId: request.deviceId });
  const result = await sink.submitWindows(windows, { onRefusal: 'refuse-batch' });
  const notes = [...run.notes];
  if (request.startMs === undefined && run.startMs === null) notes.push('the files carry no absolute time: the run is placed so that it ends at the import');
  return {
    run,
    summary: {
      deviceId: request.deviceId,
      format: run.format,
      instrument: run.instrument ?? null,
      windows: windows.length,
      inserted: result.inserted,
      duplicates: result.duplicates,
      startMs,
      observedS: run.windows.reduce((sum, w) => sum + w.durationS, 0),
      energyJ: run.windows.reduce((sum, w) => sum + w.energyJ, 0),
      inferences: run.windows.reduce((sum, w) => sum + w.inferenceCount, 0),
      samplePeriodS: run.samplePeriodS,
      notes,
    },
  };
}
