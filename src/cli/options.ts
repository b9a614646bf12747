import { ValidationError } from '../domain/errors.js';
import { DECIMAL_INTEGER_PATTERN, DECIMAL_PATTERN, parseDurationS, parsePowerW } from '../domain/quantity.js';
import { MAX_POWER_W } from '../model/limits.js';

/** A finite decimal number flag (`0.5`, `1e-3`; not `0x10` or `Infinity`), or undefined when absent. */
export function numberOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!DECIMAL_PATTERN.test(text) || !Number.isFinite(value))
    throw new ValidationError(`--${name} must be a decimal number (e.g. 3, 0.5, 1e-3), got "${text}"`);
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

/**
 * A power flag in watts, or undefined when absent. The unit is required: `--power 27` read as 27 W gave 577 kg and a
 * recharge every 0.0 days when the user meant 27 mW (the HTTP API keeps a bare JSON number as watts, documented).
 */
export function powerOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return parsePowerW(text, { unitRequired: true, maxW: MAX_POWER_W });
}
