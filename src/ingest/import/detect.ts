/**
 * Which import a set of files is, and its parse. A single file or the files of an EnergyRunner session folder.
 * Pure: the caller reads the files. An unknown file gets an error naming every form that is understood.
 */
import { ValidationError } from '../../domain/errors.js';
import type { ImportedRun, ImportFile, ImportOptions } from './import-types.js';
import { parseResultsTxt, parseTraceSession } from './energyrunner.js';
import { isJoulescopeCsv, parseJoulescopeCsv } from './joulescope-csv.js';
import { isPpkCsv, parsePpkCsv } from './ppk-csv.js';
import { MAX_IMPORT_BYTES, MAX_IMPORT_WINDOWS } from './limits.js';

export const UNDERSTOOD_FORMS =
  'an EnergyRunner session folder (traceN-energy.bin + traceN-timestamps.json + log.txt, or results.txt), ' +
  'an nRF Power Profiler CSV export ("Timestamp(ms),Current(uA),…"), or a Joulescope statistics CSV ("#device,sampled_id,…")';

const TRACE_NAME = /^trace(\d*)-energy\.bin$/;
const decoder = new TextDecoder('utf-8');

function text(file: ImportFile): string {
  return decoder.decode(file.bytes);
}

/** The run a set of files holds. `folderName`: the session folder's own name (its time), when the files came from one. */
export function parseImport(files: readonly ImportFile[], options: ImportOptions = {}, folderName?: string): ImportedRun {
  const totalBytes = files.reduce((sum, file) => sum + file.bytes.length, 0);
  if (totalBytes > MAX_IMPORT_BYTES) throw new ValidationError(`the import is ${totalBytes} bytes; at most ${MAX_IMPORT_BYTES} (MAX_IMPORT_BYTES) at once`);
  const run = parseFiles(files, options, folderName);
  if (run.windows.length === 0) throw new ValidationError('the files hold no window to import');
  if (run.windows.length > MAX_IMPORT_WINDOWS) throw new ValidationError(`the files give ${run.windows.length} windows; at most ${MAX_IMPORT_WINDOWS} at once`);
  return run;
}

function parseFiles(files: readonly ImportFile[], options: ImportOptions, folderName: string | undefined): ImportedRun {
  const byName = new Map(files.map((file) => [file.name, file]));
  const traces = files.filter((file) => TRACE_NAME.test(file.name));
  if (traces.length > 1) {
    throw new ValidationError(`the folder holds ${traces.length} traces (${traces.map((t) => t.name).join(', ')}): import one session's trace at a time`);
  }
  const trace = traces[0];
  if (trace !== undefined) {
    const n = TRACE_NAME.exec(trace.name)?.[1] ?? '';
    const timestamps = byName.get(`trace${n}-timestamps.json`);
    const log = byName.get('log.txt');
    if (timestamps === undefined || log === undefined) {
      throw new ValidationError(
        `an EnergyRunner trace needs trace${n}-timestamps.json (the window markers) and the session's log.txt (the inferences of each window) beside ${trace.name}`,
      );
    }
    return parseTraceSession({
      trace: trace.bytes,
      traceName: trace.name,
      timestamps: text(timestamps),
      log: text(log),
      ...(folderName === undefined ? {} : { folderName }),
    });
  }
  const results = byName.get('results.txt');
  if (results !== undefined) return parseResultsTxt(text(results), folderName);
  if (files.length === 1) {
    const only = text(files[0] as ImportFile);
    if (isPpkCsv(only)) return parsePpkCsv(only, options);
    if (isJoulescopeCsv(only)) return parseJoulescopeCsv(only);
    if (/ulp-ml: Energy data for window/.test(only)) return parseResultsTxt(only, folderName);
  }
  const names = files.map((file) => file.name).join(', ') || 'no files';
  throw new ValidationError(`not an import this service reads (${names}): expected ${UNDERSTOOD_FORMS}`);
}
