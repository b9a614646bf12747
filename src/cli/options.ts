import { ValidationError } from '../domain/errors.js';
import { DECIMAL_INTEGER_PATTERN, DECIMAL_PATTERN, parseDurationS } from '../domain/quantity.js';

/** A finite decimal number flag (`0.5`, `1e-3`; not `0x10` or `Infinity`), or undefined when absent. */
export function numberOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!DECIMAL_PATTERN.test(text) || !Number.isFinite(value)) throw new ValidationError(`--${name} must be a decimal number (e.g. 3, 0.5, 1e-3), got "${text}"`);
  return value;
}

/** An integer flag ≥ min (≥ 0), decimal digits only, or undefined when absent. */
export function integerOption(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!DECIMAL_INTEGER_PATTERN.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(`--${name} must be a decimal integer ≥ ${min} (digits only), got "${text}"`);
  }
  return value;
}

/** A duration flag ("10s", "500ms", "2m") in whole milliseconds, or undefined when absent. */
export function durationMsOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseDurationS(text);
  if (seconds < 0) throw new ValidationError(`--${name} must not be negative, got "${text}"`);
  return Math.round(seconds * 1000);
}
