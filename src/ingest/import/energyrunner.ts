/**
 * EEMBC EnergyRunner session files (instruments.md §1.5), pure:
 * - the raw trace `traceN-energy.bin`: one byte 0xF1, a float32 LE sample rate (Hz), then float32 LE samples, each
 *   the energy of one sample period in µJ; `traceN-timestamps.json`: a JSON array of seconds, one boundary from
 *   `io dut timestamp`, then a start/end pair per inference window; the session's `log.txt` names the inferences of
 *   each window (`parser: Command "io dut infer N W"`) and the instrument (`…-type[emon]-name[lpm01a]`).
 *   A window's energy is the sum of the samples from its start index to its end index (index = round(t · rate)),
 *   as mlcommons/tiny `print_energy_results` does.
 * - `results.txt`: EnergyRunner's own per-window summary (`Energy data for window K at time T for D sec.:`, then
 *   `Energy`, `Power`, `Energy/Inf.`), for sessions whose trace is not at hand.
 */
import { ValidationError } from '../../domain/errors.js';
import { isInstrumentId, type InstrumentId } from '../../domain/instruments.js';
import type { ImportedRun, ImportedWindow } from './import-types.js';

/** The first byte of every trace seen (its meaning is unknown; instruments.md §1.5). */
export const TRACE_MAGIC = 0xf1;
const TRACE_HEADER_BYTES = 5;
/** Sample rates a trace may state, Hz: EnergyRunner writes 1 kHz; beyond 10 MHz the float is not a rate. */
const MAX_TRACE_RATE_HZ = 10_000_000;
const UJ_PER_J = 1e6;

const INFER_COMMAND = /parser: Command "io dut infer (\d+) (\d+)"/g;
const EMON_NAME = /-type\[emon\]-name\[([a-z0-9]+)\]/;
const SESSION_FOLDER = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

export interface TraceDecoded {
  rateHz: number;
  samplesUJ: Float32Array;
}

/** The trace's header and samples; a file that is not one, or is cut inside a sample, is refused whole. */
export function decodeTrace(bytes: Uint8Array, name = 'trace'): TraceDecoded {
  if (bytes.length < TRACE_HEADER_BYTES || bytes[0] !== TRACE_MAGIC) {
    throw new ValidationError(`${name} is not an EnergyRunner trace: expected the byte 0xF1, then a float32 LE sample rate, then float32 LE µJ samples`);
  }
  const sampleBytes = bytes.length - TRACE_HEADER_BYTES;
  if (sampleBytes % 4 !== 0) {
    throw new ValidationError(
      `${name} is truncated: ${sampleBytes} sample bytes is not a whole number of float32 samples (cut inside a sample); nothing imported`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rateHz = view.getFloat32(1, true);
  if (!Number.isFinite(rateHz) || rateHz <= 0 || rateHz > MAX_TRACE_RATE_HZ) {
    throw new ValidationError(`${name}: the sample rate after 0xF1 reads ${rateHz}; expected a float32 LE rate in Hz (EnergyRunner writes 1000)`);
  }
  const samplesUJ = new Float32Array(sampleBytes / 4);
  for (let i = 0; i < samplesUJ.length; i += 1) samplesUJ[i] = view.getFloat32(TRACE_HEADER_BYTES + 4 * i, true);
  return { rateHz, samplesUJ };
}

/** The boundaries of the timestamps JSON: 1 + 2·windows increasing seconds. */
export function parseTimestamps(text: string, name = 'timestamps'): number[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError(`${name} is not JSON: expected an array of seconds such as [0.014, 11.199, 22.466]`);
  }
  if (!Array.isArray(value) || !value.every((t) => typeof t === 'number' && Number.isFinite(t) && t >= 0)) {
    throw new ValidationError(`${name}: expected a JSON array of non-negative seconds`);
  }
  const times = value as number[];
  if (times.length < 3 || times.length % 2 === 0) {
    throw new ValidationError(
      `${name} holds ${times.length} timestamps: expected one boundary, then a start and an end per inference window (an odd count, at least 3)`,
    );
  }
  for (let i = 1; i < times.length; i += 1) {
    if ((times[i] as number) < (times[i - 1] as number)) throw new ValidationError(`${name}: timestamp ${i} (${times[i]} s) is before the one before it`);
  }
  return times;
}

/** The session log's inference count per window, in order, and the energy monitor it names. */
export function parseSessionLog(text: string): { inferences: number[]; instrument: InstrumentId | undefined; emon: string | undefined } {
  const inferences = [...text.matchAll(INFER_COMMAND)].map((match) => Number(match[1]));
  const emon = EMON_NAME.exec(text)?.[1];
  return { inferences, instrument: emon !== undefined && isInstrumentId(emon) ? emon : undefined, emon };
}

/** Unix ms of a session folder named `YYYYMMDD_HHMMSS` (the runner's `sessions/<time>/`, taken as UTC); else null. */
export function sessionStartMs(folderName: string | undefined): number | null {
  const match = folderName === undefined ? null : SESSION_FOLDER.exec(folderName);
  if (match === null) return null;
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? null : ms;
}

export interface TraceSession {
  trace: Uint8Array;
  traceName: string;
  timestamps: string;
  log: string;
  folderName?: string;
}

/** The inference windows of a raw trace: energy between each window's markers, its inferences from the log. */
export function parseTraceSession(session: TraceSession): ImportedRun {
  const { rateHz, samplesUJ } = decodeTrace(session.trace, session.traceName);
  const times = parseTimestamps(session.timestamps);
  const { inferences, instrument, emon } = parseSessionLog(session.log);
  const windowCount = (times.length - 1) / 2;
  if (inferences.length !== windowCount) {
    throw new ValidationError(
      `log.txt names ${inferences.length} inference runs ("io dut infer N W") but the timestamps give ${windowCount} windows: expected one run per window`,
    );
  }
  const traceEndS = samplesUJ.length / rateHz;
  const windows: ImportedWindow[] = [];
  for (let w = 0; w < windowCount; w += 1) {
    const startS = times[1 + 2 * w] as number;
    const endS = times[2 + 2 * w] as number;
    const startIndex = Math.round(startS * rateHz);
    const endIndex = Math.round(endS * rateHz);
    if (endIndex > samplesUJ.length) {
      throw new ValidationError(
        `${session.traceName} is truncated: window ${w + 1} ends at ${endS} s but the trace holds ${traceEndS.toFixed(3)} s; nothing imported`,
      );
    }
    const count = inferences[w] as number;
    if (count <= 0) throw new ValidationError(`log.txt: inference run ${w + 1} has ${count} inferences; expected at least one`);
    if (endIndex <= startIndex) throw new ValidationError(`window ${w + 1} of the timestamps is empty (${startS} s to ${endS} s)`);
    let sumUJ = 0;
    let minUJ = Number.POSITIVE_INFINITY;
    let maxUJ = Number.NEGATIVE_INFINITY;
    for (let i = startIndex; i < endIndex; i += 1) {
      const sample = samplesUJ[i] as number;
      sumUJ += sample;
      if (sample < minUJ) minUJ = sample;
      if (sample > maxUJ) maxUJ = sample;
    }
    if (!Number.isFinite(sumUJ) || sumUJ < 0)
      throw new ValidationError(`${session.traceName}: window ${w + 1} sums to ${sumUJ} µJ; expected a finite energy ≥ 0`);
    windows.push({
      offsetMs: (startIndex / rateHz) * 1000,
      durationS: (endIndex - startIndex) / rateHz,
      energyJ: sumUJ / UJ_PER_J,
      sampleCount: endIndex - startIndex,
      minPowerW: (minUJ * rateHz) / UJ_PER_J,
      maxPowerW: (maxUJ * rateHz) / UJ_PER_J,
      inferenceCount: count,
      span: 'inferences',
    });
  }
  const notes = [`${windowCount} inference windows from ${session.traceName} at ${rateHz} Hz; the time between windows (downloads, idle) is not imported`];
  if (emon !== undefined && instrument === undefined)
    notes.push(`log.txt names the energy monitor "${emon}", not one this service knows: no instrument accuracy`);
  return {
    format: 'energyrunner-trace',
    ...(instrument === undefined ? {} : { instrument }),
    windows,
    startMs: sessionStartMs(session.folderName),
    samplePeriodS: 1 / rateHz,
    notes,
  };
}

const RESULT_HEADER = /Energy data for window (\d+) at time ([\d.]+) for ([\d.]+) sec\.:/;
const RESULT_FIELD = /^\s*[\d.]+ ulp-ml:\s+(Energy|Power|Energy\/Inf\.)\s*:\s*([\d.]+) (uJ|uW|uJ\/inf\.)\s*$/;

/** EnergyRunner's results.txt: one window per `Energy data for window` block, its inferences = Energy / Energy/Inf. */
export function parseResultsTxt(text: string, folderName?: string): ImportedRun {
  const lines = text.split(/\r?\n/);
  const windows: ImportedWindow[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const header = RESULT_HEADER.exec(lines[i] as string);
    if (header === null) continue;
    const fields = new Map<string, number>();
    for (let j = i + 1; j < Math.min(lines.length, i + 4); j += 1) {
      const field = RESULT_FIELD.exec(lines[j] as string);
      if (field !== null) fields.set(field[1] as string, Number(field[2]));
    }
    const energyUJ = fields.get('Energy');
    const perInferenceUJ = fields.get('Energy/Inf.');
    if (energyUJ === undefined || perInferenceUJ === undefined || perInferenceUJ <= 0) {
      throw new ValidationError(`results.txt: window ${header[1]} lacks its "Energy … uJ" and "Energy/Inf. … uJ/inf." lines (truncated?); nothing imported`);
    }
    const durationS = Number(header[3]);
    windows.push({
      offsetMs: Number(header[2]) * 1000,
      durationS,
      energyJ: energyUJ / UJ_PER_J,
      sampleCount: 0,
      minPowerW: null,
      maxPowerW: null,
      inferenceCount: Math.round(energyUJ / perInferenceUJ),
      span: 'inferences',
    });
  }
  if (windows.length === 0) {
    throw new ValidationError('results.txt holds no "ulp-ml: Energy data for window K at time T for D sec.:" block: expected EnergyRunner energy-mode results');
  }
  return {
    format: 'energyrunner-results',
    windows,
    startMs: sessionStartMs(folderName),
    samplePeriodS: null,
    notes: [`${windows.length} windows from results.txt; inferences per window = Energy / (Energy/Inf.), rounded; no samples, so no min/max power`],
  };
}
