/**
 * The nRF Connect Power Profiler's CSV export (instruments.md §3, `exportChartAction.ts`): header
 * `Timestamp(ms),Current(uA)[,D0-D7,D0,…,D7]`, rows such as `0.04,9.000,10100010,1,0,1,0,0,0,1,0`. Current only:
 * power needs the supply voltage, given by the user. Each row holds its current until the next row's timestamp
 * (the last row for the median step). Cut into IMPORT_WINDOW_S time windows. Pure.
 */
import { ValidationError } from '../../domain/errors.js';
import type { ImportedRun, ImportOptions } from './import-types.js';
import { MAX_IMPORT_CSV_ROWS } from './limits.js';
import { csvLines, TimeWindowCutter } from './time-windows.js';

export const PPK_CSV_HEADER = 'Timestamp(ms),Current(uA)';
/** Supply voltages the PPK2 can source or measure at, V (RegulatorSet 800–5000 mV). */
const MIN_VOLTAGE_V = 0.8;
const MAX_VOLTAGE_V = 5;

export function isPpkCsv(text: string): boolean {
  return text.replace(/^\uFEFF/, '').startsWith(PPK_CSV_HEADER);
}

export function parsePpkCsv(text: string, options: ImportOptions): ImportedRun {
  if (!isPpkCsv(text)) throw new ValidationError(`not an nRF Power Profiler CSV export: expected the header "${PPK_CSV_HEADER},…"`);
  const voltageV = options.voltageV;
  if (voltageV === undefined || !(voltageV >= MIN_VOLTAGE_V && voltageV <= MAX_VOLTAGE_V)) {
    throw new ValidationError(
      `the nRF Power Profiler CSV holds current only: give the supply voltage in V (${MIN_VOLTAGE_V}–${MAX_VOLTAGE_V}), e.g. --voltage 3.3, to turn it into power`,
    );
  }
  const lines = csvLines(text).slice(1);
  if (lines.length > MAX_IMPORT_CSV_ROWS) throw new ValidationError(`the CSV has ${lines.length} rows; at most ${MAX_IMPORT_CSV_ROWS} are imported at once`);
  if (lines.length < 2) throw new ValidationError('the nRF Power Profiler CSV holds fewer than two samples: no time step to integrate over');
  const timesMs = new Float64Array(lines.length);
  const currentsUA = new Float64Array(lines.length);
  lines.forEach((line, i) => {
    const [t, current] = line.split(',', 2);
    const tMs = Number(t);
    const uA = Number(current);
    if (t === undefined || current === undefined || t === '' || current === '' || !Number.isFinite(tMs) || !Number.isFinite(uA)) {
      throw new ValidationError(
        `row ${i + 2} of the nRF Power Profiler CSV is not "<ms>,<µA>,…": ${JSON.stringify(line.slice(0, 80))} (truncated?); nothing imported`,
      );
    }
    if (i > 0 && tMs <= (timesMs[i - 1] as number)) throw new ValidationError(`row ${i + 2}: the timestamp ${tMs} ms does not follow ${timesMs[i - 1]} ms`);
    timesMs[i] = tMs;
    currentsUA[i] = uA;
  });
  const steps = Array.from({ length: lines.length - 1 }, (_, i) => (timesMs[i + 1] as number) - (timesMs[i] as number)).sort((a, b) => a - b);
  const medianStepMs = steps[Math.floor(steps.length / 2)] as number;
  const cutter = new TimeWindowCutter();
  const t0 = timesMs[0] as number;
  for (let i = 0; i < lines.length; i += 1) {
    const dtMs = i + 1 < lines.length ? (timesMs[i + 1] as number) - (timesMs[i] as number) : medianStepMs;
    cutter.add(((timesMs[i] as number) - t0) / 1000, (currentsUA[i] as number) * 1e-6 * voltageV, dtMs / 1000);
  }
  return {
    format: 'ppk-csv',
    instrument: 'ppk2',
    windows: cutter.finish(),
    startMs: null,
    samplePeriodS: medianStepMs / 1000,
    notes: [`power = current × ${voltageV} V (given); ${lines.length} samples every ${medianStepMs} ms (median step)`],
  };
}
