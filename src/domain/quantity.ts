import { ValidationError } from './errors.js';

/**
 * A decimal number as people write it: `27`, `0.5`, `.5`, `2.`, `1e-3`, `-2`. `Number()` also reads `0x10`, `0b1`,
 * `0o7`, `Infinity`, surrounding spaces and `""` (as 0); none of those is accepted where this pattern is used.
 */
export const DECIMAL_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** A count: decimal digits only, no sign, fraction or exponent (`1e3` is refused: one spelling per value). */
export const DECIMAL_INTEGER_PATTERN = /^\d+$/;

const POWER_UNITS_W: Record<string, number> = { w: 1, mw: 1e-3, uw: 1e-6, 'µw': 1e-6, 'μw': 1e-6, nw: 1e-9, kw: 1e3 };
const DURATION_UNITS_S: Record<string, number> = { ms: 1e-3, s: 1, m: 60, min: 60, h: 3600, d: 86400, y: 365 * 86400 };

function parseWithUnits(kind: string, text: string, units: Record<string, number>, defaultUnit: string): number {
  const match = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-zµμ]*)\s*$/i.exec(text);
  if (match === null) throw new ValidationError(`${kind} "${text}" is not a number with a unit (e.g. ${defaultUnit === 'w' ? '27mW, 0.5 W, 800uW' : '90s, 10m, 2h'})`);
  const unit = (match[2] === '' ? defaultUnit : match[2]!).toLowerCase();
  const factor = units[unit];
  if (factor === undefined) throw new ValidationError(`${kind} "${text}": unknown unit "${match[2]}" (known: ${Object.keys(units).join(', ')})`);
  const value = Number(match[1]) * factor;
  if (!Number.isFinite(value)) throw new ValidationError(`${kind} "${text}" is not finite`);
  return value;
}

/** "27mW", "27.2 mW", "0.5W", "800uW", "0.001" (watts) → watts. */
export function parsePowerW(text: string): number {
  return parseWithUnits('power', text, POWER_UNITS_W, 'w');
}

/** "90s", "10m", "2h", "1d", "500ms", "30" (seconds) → seconds. */
export function parseDurationS(text: string): number {
  return parseWithUnits('duration', text, DURATION_UNITS_S, 's');
}
