import { ValidationError } from './errors.js';

/**
 * A decimal number as people write it: `27`, `0.5`, `.5`, `2.`, `1e-3`, `-2`. `Number()` also reads `0x10`, `0b1`,
 * `0o7`, `Infinity`, surrounding spaces and `""` (as 0); none of those is accepted where this pattern is used.
 */
const DECIMAL_SOURCE = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
export const DECIMAL_PATTERN = new RegExp(`^${DECIMAL_SOURCE}$`);
/** A count: decimal digits only, no sign, fraction or exponent (`1e3` is refused: one spelling per value). */
export const DECIMAL_INTEGER_PATTERN = /^\d+$/;

/** A number, optional spaces, then letters (µ U+00B5 and μ U+03BC included); the unit is matched case-sensitively. */
const QUANTITY_PATTERN = new RegExp(String.raw`^\s*(${DECIMAL_SOURCE})\s*([A-Za-zµμ]*)\s*$`);

interface UnitTable {
  kind: string;
  /** Symbol → factor to the base unit. A Map: a unit like "constructor" must be unknown, not Object's prototype. */
  units: ReadonlyMap<string, number>;
  /** What the unit means, for the hint when only the case differs. */
  names: ReadonlyMap<string, string>;
  baseUnit: string;
  examples: string;
}

/**
 * Watts with SI prefixes, case-sensitive as SI writes them: m milli, M mega, u/µ/μ micro, n nano, k kilo. `MW` is a
 * valid unit that no TinyML board draws: it is parsed as mega, and the caller's bound refuses it with a hint.
 */
const POWER: UnitTable = {
  kind: 'power',
  units: new Map([
    ['W', 1],
    ['mW', 1e-3],
    ['uW', 1e-6],
    ['µW', 1e-6],
    ['μW', 1e-6],
    ['nW', 1e-9],
    ['kW', 1e3],
    ['MW', 1e6],
  ]),
  names: new Map([
    ['W', 'watts'],
    ['mW', 'milliwatts'],
    ['uW', 'microwatts'],
    ['nW', 'nanowatts'],
    ['kW', 'kilowatts'],
    ['MW', 'megawatts'],
  ]),
  baseUnit: 'W',
  examples: '27mW, 0.5W, 800uW',
};

/** Durations; `m` is minutes (as in `10m`), `M` is refused: minutes or months would be a guess. */
const DURATION: UnitTable = {
  kind: 'duration',
  units: new Map([
    ['ms', 1e-3],
    ['s', 1],
    ['m', 60],
    ['min', 60],
    ['h', 3600],
    ['d', 86400],
    ['y', 365 * 86400],
  ]),
  names: new Map([
    ['ms', 'milliseconds'],
    ['s', 'seconds'],
    ['m', 'minutes'],
    ['min', 'minutes'],
    ['h', 'hours'],
    ['d', 'days'],
    ['y', 'years of 365 days'],
  ]),
  baseUnit: 's',
  examples: '90s, 10m, 2h',
};

/** A power string this parser accepts, as a pattern for documents (OpenAPI); the value bounds are the caller's. */
export const POWER_TEXT_PATTERN = String.raw`^\s*${DECIMAL_SOURCE}\s*(?:${[...POWER.units.keys()].join('|')})?\s*$`;

function listUnits(table: UnitTable): string {
  return [...table.units.keys()].join(', ');
}

interface Parsed {
  value: number;
  number: string;
  unit: string;
  /** The unit's factor to the base unit (1 without a unit). */
  factor: number;
}

function parseWithUnits(table: UnitTable, text: string, unitRequired: boolean): Parsed {
  const match = QUANTITY_PATTERN.exec(text);
  if (match === null) throw new ValidationError(`${table.kind} "${text}" is not a number with a unit (e.g. ${table.examples})`);
  const number = match[1]!;
  const unit = match[2]!;
  if (unit === '' && unitRequired) {
    throw new ValidationError(
      `${table.kind} "${text}" has no unit: write it with one, e.g. ${number}m${table.baseUnit} (${table.names.get(`m${table.baseUnit}`) ?? 'milli'}), ${number}u${table.baseUnit} or ${number}${table.baseUnit}`,
    );
  }
  const factor = unit === '' ? 1 : table.units.get(unit);
  if (factor === undefined) {
    const sameLetters = [...table.units.keys()].filter((known) => known.toLowerCase() === unit.toLowerCase());
    if (sameLetters.length > 0) {
      const meant = sameLetters.map((known) => `${number}${known}${table.names.has(known) ? ` (${table.names.get(known)})` : ''}`).join(' or ');
      throw new ValidationError(`${table.kind} "${text}": units are case-sensitive (m = milli, M = mega); did you mean ${meant}?`, [
        `known units: ${listUnits(table)}`,
      ]);
    }
    throw new ValidationError(`${table.kind} "${text}": unknown unit "${unit}" (expected one of ${listUnits(table)}; e.g. ${table.examples})`);
  }
  const value = Number(number) * factor;
  if (!Number.isFinite(value)) throw new ValidationError(`${table.kind} "${text}" is not finite`);
  return { value, number, unit, factor };
}

export interface PowerOptions {
  /** The CLI requires a unit (`27` is a mistake for `27mW` more often than it means 27 W); the HTTP API does not. */
  unitRequired?: boolean;
  /** Refuse more than this many watts, with a hint when a case slip (`MW` for `mW`) is the likely cause. */
  maxW?: number;
}

/** "27mW", "27.2 mW", "0.5W", "800uW", "800µW", and a bare number as watts unless a unit is required → watts, ≥ 0. */
export function parsePowerW(text: string, options: PowerOptions = {}): number {
  const { value, number, unit, factor } = parseWithUnits(POWER, text, options.unitRequired ?? false);
  if (value < 0) throw new ValidationError(`power "${text}" is negative`);
  if (options.maxW !== undefined && value > options.maxW) {
    const lowerCase = unit.startsWith('M') ? `m${unit.slice(1)}` : undefined;
    const hint = lowerCase === undefined ? '' : `; units are case-sensitive (M = mega, m = milli): did you mean ${number}${lowerCase}?`;
    // In the unit the value was written in when it is a sub-unit (an mW field reads "… mW, above the 100000 mW (100 W)
    // limit"); in watts for W and larger units, where the limit would read as a fraction.
    const inWritten =
      factor < 1 ? `${Number(number)} ${unit}, above the ${Number((options.maxW / factor).toPrecision(12))} ${unit} (${options.maxW} W) limit` : undefined;
    throw new ValidationError(`power "${text}" is ${inWritten ?? `${value} W, above the ${options.maxW} W limit`}${hint}`);
  }
  return value;
}

/** "90s", "10m", "2h", "1d", "500ms", "30" (seconds) → seconds. */
export function parseDurationS(text: string): number {
  return parseWithUnits(DURATION, text, false).value;
}
