/**
 * `measure`'s live readout: one line per second, at most TERMINAL_COLUMNS wide whatever the values (a 7-day run, a
 * 64-character device id, 100 W), so it never wraps and stacks up in an 80-column terminal. Pure: values in, text out.
 */
import { TERMINAL_COLUMNS } from '../wrap.js';

/** A port silent for this long is shown as such (a board that stopped, a cable pulled without a hangup). */
export const QUIET_AFTER_S = 2;

export interface ReadoutState {
  elapsedS: number;
  path: string;
  /** The port supervisor's state: connecting, connected, backoff, stopped. */
  state: string;
  lastError: string | null;
  /** Bytes read so far (every session). */
  bytes: number;
  deviceId: string | null;
  /** Lines kept before the first hello (SPEC §4.1). */
  preHelloLines: number;
  averagePowerW: number | null;
  nowPowerW: number | null;
  energyJ: number;
  samples: number;
  coverage: number | null;
  /** Rejected lines, `before_hello` not included (those are kept for the hello, or counted apart). */
  errors: number;
  /** Seconds since the last byte; null before the first. */
  quietS: number | null;
}

/** MM:SS under an hour, H:MM:SS from there (≤ 9 characters for the longest --duration, 7 days). */
export function clockText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const mmss = `${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return s < 3600 ? mmss : `${Math.floor(s / 3600)}:${mmss}`;
}

/**
 * Three significant digits with the prefix that keeps them below 1000 (999.5 µ is 1.00 m, not 1.00e+3 µ). Prefixes
 * are [scale, symbol] from the smallest up.
 */
function threeDigits(value: number, prefixes: ReadonlyArray<readonly [number, string]>, separator: string): string {
  const magnitude = Math.abs(value);
  let index = 0;
  while (index + 1 < prefixes.length && magnitude >= prefixes[index + 1]![0]) index += 1;
  let text = (value / prefixes[index]![0]).toPrecision(3);
  if (Math.abs(Number(text)) >= 1000 && index + 1 < prefixes.length) {
    index += 1;
    text = (value / prefixes[index]![0]).toPrecision(3);
  }
  return `${text}${separator}${prefixes[index]![1]}`;
}

const SI_PREFIXES = [
  [1e-9, 'n'],
  [1e-6, 'µ'],
  [1e-3, 'm'],
  [1, ''],
  [1e3, 'k'],
  [1e6, 'M'],
  [1e9, 'G'],
] as const;
const COUNT_PREFIXES = [
  [1e3, 'k'],
  [1e6, 'M'],
  [1e9, 'G'],
] as const;

/** ≤ 7 characters from 1 nW to 999 GW (100 W for 7 days is 60.5 MJ). */
function si(value: number, unit: string): string {
  return value === 0 ? `0 ${unit}` : `${threeDigits(value, SI_PREFIXES, ' ')}${unit}`;
}

/** ≤ 5 characters: 1234, 12.3k, 123k, 1.23M, 1.00G. */
function count(value: number): string {
  return value < 10_000 ? String(value) : threeDigits(value, COUNT_PREFIXES, '');
}

function fit(line: string): string {
  const chars = [...line];
  return chars.length <= TERMINAL_COLUMNS ? line : `${chars.slice(0, TERMINAL_COLUMNS - 1).join('')}…`;
}

export function readoutLine(r: ReadoutState): string {
  const clock = clockText(r.elapsedS);
  if (r.state !== 'connected' && r.bytes === 0) {
    return fit(`${clock}  ${r.state} ${r.path}${r.lastError === null ? '' : `: ${r.lastError}`}`);
  }
  if (r.bytes === 0) return fit(`${clock}  waiting for data on ${r.path}`);
  const errors = `err ${count(r.errors)}`;
  if (r.deviceId === null) {
    return fit(`${clock}  no hello yet: ${count(r.preHelloLines)} line${r.preHelloLines === 1 ? '' : 's'} kept  ${errors}`);
  }
  let now = `now ${r.nowPowerW === null ? '…' : si(r.nowPowerW, 'W')}`;
  if (r.state !== 'connected')
    now = r.state; // connecting, backoff: the port went away (≤ 10 characters)
  else if (r.quietS !== null && r.quietS >= QUIET_AFTER_S) now = `no data ${Math.min(999, Math.floor(r.quietS))} s`;
  if (r.averagePowerW === null) return fit(`${clock}  ${now}  waiting for the first window  ${errors}`);
  const coverage = r.coverage === null ? '…' : r.coverage >= 1 ? '100 %' : `${(Math.floor(r.coverage * 1000) / 10).toFixed(1)} %`;
  return fit(`${clock}  avg ${si(r.averagePowerW, 'W')}  ${now}  ${si(r.energyJ, 'J')}  ${count(r.samples)} smp  cov ${coverage}  ${errors}`);
}
