/**
 * Joulescope statistics CSV (`python -m pyjoulescope_driver statistics`, instruments.md §4): header
 * `#device,sampled_id,i_avg,i_std,i_min,i_max,v_avg,v_std,v_min,v_max,p_avg,p_std,p_min,p_max,charge,energy`, one row
 * per statistics block, SI units, `energy` an accumulator (J). A block's energy is the accumulator's step from the
 * row before; its duration the step of `sampled_id` at the instrument's raw rate (JS220 1 MS/s, JS110 2 MS/s,
 * named by the device path). The first row is the baseline. Cut into IMPORT_WINDOW_S time windows. Pure.
 */
import { ValidationError } from '../../domain/errors.js';
import type { InstrumentId } from '../../domain/instruments.js';
import type { ImportedRun } from './import-types.js';
import { MAX_IMPORT_CSV_ROWS } from './limits.js';
import { csvLines, TimeWindowCutter } from './time-windows.js';

export const JOULESCOPE_HEADER = '#device,sampled_id,i_avg,i_std,i_min,i_max,v_avg,v_std,v_min,v_max,p_avg,p_std,p_min,p_max,charge,energy';
const COLUMNS = JOULESCOPE_HEADER.split(',').length;
const SAMPLED_ID = 1;
const P_MIN = 12;
const P_MAX = 13;
const ENERGY = 15;
/** Raw sample rates of `sampled_id`, Hz (instruments.md §4: JS220 1 MS/s, JS110 2 MS/s). */
const RAW_RATE_HZ: Record<'js110' | 'js220', number> = { js110: 2_000_000, js220: 1_000_000 };

export function isJoulescopeCsv(text: string): boolean {
  return text.replace(/^\uFEFF/, '').startsWith('#device,sampled_id,');
}

function instrumentOf(devicePath: string): 'js110' | 'js220' | null {
  if (/js220/i.test(devicePath)) return 'js220';
  if (/js110/i.test(devicePath)) return 'js110';
  return null;
}

export function parseJoulescopeCsv(text: string): ImportedRun {
  const lines = csvLines(text.replace(/^\uFEFF/, ''));
  if (lines[0]?.trim() !== JOULESCOPE_HEADER) throw new ValidationError(`not a Joulescope statistics CSV: expected the header "${JOULESCOPE_HEADER}"`);
  const rows = lines.slice(1);
  if (rows.length > MAX_IMPORT_CSV_ROWS) throw new ValidationError(`the CSV has ${rows.length} rows; at most ${MAX_IMPORT_CSV_ROWS} are imported at once`);
  if (rows.length < 2) throw new ValidationError('the Joulescope CSV holds fewer than two statistics rows: the first is the baseline, nothing follows');
  const parsed = rows.map((line, i) => {
    const cells = line.split(',');
    const numbers = cells.slice(1).map(Number);
    if (cells.length !== COLUMNS || !numbers.every(Number.isFinite)) {
      throw new ValidationError(
        `row ${i + 2} of the Joulescope CSV does not have ${COLUMNS} columns of numbers after the device (truncated?); nothing imported`,
      );
    }
    return { device: cells[0] as string, numbers: [0, ...numbers] };
  });
  const instrument: InstrumentId | null = instrumentOf(parsed[0]!.device);
  if (instrument === null) {
    throw new ValidationError(
      `the Joulescope CSV names the device "${parsed[0]!.device}": expected a JS110 or JS220 path (the raw rate of sampled_id depends on it)`,
    );
  }
  const rateHz = RAW_RATE_HZ[instrument];
  const cutter = new TimeWindowCutter();
  const first = parsed[0]!.numbers;
  let blockS = 0;
  for (let i = 1; i < parsed.length; i += 1) {
    const previous = parsed[i - 1]!.numbers;
    const row = parsed[i]!.numbers;
    const dtS = ((row[SAMPLED_ID] as number) - (previous[SAMPLED_ID] as number)) / rateHz;
    const energyJ = (row[ENERGY] as number) - (previous[ENERGY] as number);
    if (!(dtS > 0)) throw new ValidationError(`row ${i + 2}: sampled_id does not increase`);
    if (energyJ < 0)
      throw new ValidationError(`row ${i + 2}: the energy accumulator goes back (${energyJ} J): a restarted capture; import each capture on its own`);
    const startS = ((previous[SAMPLED_ID] as number) - (first[SAMPLED_ID] as number)) / rateHz;
    cutter.add(startS, energyJ / dtS, dtS, row[P_MIN] as number, row[P_MAX] as number);
    blockS = dtS;
  }
  return {
    format: 'joulescope-csv',
    instrument,
    windows: cutter.finish(),
    startMs: null,
    // The instrument integrates at its raw rate: a statistics block is an average, not a sample that can alias.
    samplePeriodS: null,
    notes: [`${parsed.length - 1} statistics blocks of ${blockS} s (the first row is the baseline); energy from the accumulator`],
  };
}
