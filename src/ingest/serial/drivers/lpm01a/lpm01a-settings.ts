/** The LPM01A's per-port settings (`--serial <path>,driver=lpm01a,voltage=3.3,rate=1000,…`). Pure. */
import { ConfigError } from '../../../../domain/errors.js';
import { LPM01A_ASCII_MAX_HZ, LPM01A_FREQUENCIES_HZ, LPM01A_MAX_VOLTAGE_V, LPM01A_MIN_VOLTAGE_V } from './lpm01a-codec.js';

export interface Lpm01aSettings {
  /** Supply voltage the instrument sets on its output, V; also the voltage of power = current × voltage. */
  voltageV: number;
  /** Sampling frequency, Hz (one of LPM01A_FREQUENCIES_HZ). */
  rateHz: number;
  /** `energy`: each sample is the energy of its period (MLPerf Tiny's setting); `current`: the current, × voltage. */
  output: 'energy' | 'current';
  format: 'ascii' | 'binary';
  /** Acquisition time, s; null: `acqtime inf` (until `stop`). */
  acquisitionS: number | null;
  /**
   * Inferences between a marker (D7 falling edge) and the next: markers pair up as start and end of a run (MLPerf
   * Tiny's `th_timestamp()` before and after N inferences), each run a window `betweenMarkers`. Null: each marker is
   * one inference.
   */
  inferencesPerRun: number | null;
}

/** MLPerf Tiny's runner: 3.3 V (per DUT), 1 kHz, energy output, ASCII (instruments.md §1.4). */
export const LPM01A_DEFAULT_SETTINGS: Readonly<Lpm01aSettings> = Object.freeze({
  voltageV: 3.3,
  rateHz: 1000,
  output: 'energy',
  format: 'ascii',
  acquisitionS: null,
  inferencesPerRun: null,
});

export const LPM01A_SETTING_KEYS: Readonly<Record<string, string>> = Object.freeze({
  voltage: 'supply voltage, V (1.8–3.3; default 3.3)',
  rate: 'sampling frequency, Hz (100000, 50000, 20000, 10000, 5000, 2000, 1000 … 1; default 1000; ASCII ≤ 5000)',
  output: 'energy (default: joules per sample period) or current',
  format: 'ascii (default) or binary',
  acqtime: 'acquisition time, s, or inf (default: until stopped)',
  inferences: 'inferences between two markers (D7): markers pair up as start and end of a run (MLPerf Tiny); default: each marker is one inference',
});

export function parseLpm01aSettings(raw: Readonly<Record<string, string>>): Lpm01aSettings {
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(LPM01A_SETTING_KEYS, key))
      throw new ConfigError(`lpm01a takes no setting "${key}" (known: ${Object.keys(LPM01A_SETTING_KEYS).join(', ')})`);
  }
  const settings: Lpm01aSettings = { ...LPM01A_DEFAULT_SETTINGS };
  if (raw['voltage'] !== undefined) {
    const voltageV = Number(raw['voltage']);
    if (!(voltageV >= LPM01A_MIN_VOLTAGE_V && voltageV <= LPM01A_MAX_VOLTAGE_V)) {
      throw new ConfigError(`lpm01a voltage must be ${LPM01A_MIN_VOLTAGE_V}–${LPM01A_MAX_VOLTAGE_V} V, got "${raw['voltage']}"`);
    }
    settings.voltageV = voltageV;
  }
  if (raw['rate'] !== undefined) {
    const rateHz = Number(raw['rate']);
    if (LPM01A_FREQUENCIES_HZ[rateHz] === undefined) {
      throw new ConfigError(`lpm01a rate must be one of ${Object.keys(LPM01A_FREQUENCIES_HZ).reverse().join(', ')} Hz, got "${raw['rate']}"`);
    }
    settings.rateHz = rateHz;
  }
  if (raw['output'] !== undefined) {
    if (raw['output'] !== 'energy' && raw['output'] !== 'current') throw new ConfigError(`lpm01a output must be energy or current, got "${raw['output']}"`);
    settings.output = raw['output'];
  }
  if (raw['format'] !== undefined) {
    if (raw['format'] !== 'ascii' && raw['format'] !== 'binary') throw new ConfigError(`lpm01a format must be ascii or binary, got "${raw['format']}"`);
    settings.format = raw['format'];
  }
  if (raw['acqtime'] !== undefined && raw['acqtime'] !== 'inf') {
    const seconds = Number(raw['acqtime']);
    if (!(seconds > 0 && seconds <= 100)) throw new ConfigError(`lpm01a acqtime must be inf or 0.0001–100 s, got "${raw['acqtime']}"`);
    settings.acquisitionS = seconds;
  }
  if (raw['inferences'] !== undefined) {
    const count = Number(raw['inferences']);
    if (!Number.isInteger(count) || count <= 0) throw new ConfigError(`lpm01a inferences must be a positive integer, got "${raw['inferences']}"`);
    settings.inferencesPerRun = count;
  }
  if (settings.format === 'ascii' && settings.rateHz > LPM01A_ASCII_MAX_HZ) {
    // UM2269 Table 2: above 5 kHz an ASCII acquisition is limited to 1 s (10 kHz) or 500 ms (20 kHz).
    throw new ConfigError(`lpm01a rate ${settings.rateHz} Hz needs format=binary (ASCII streams at most ${LPM01A_ASCII_MAX_HZ} Hz without a time limit)`);
  }
  return settings;
}
