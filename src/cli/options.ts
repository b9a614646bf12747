import { ValidationError } from '../domain/errors.js';
import { parseDurationS } from '../domain/quantity.js';

/** A finite number flag, or undefined when absent. */
export function numberOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new ValidationError(`--${name} must be a number, got "${text}"`);
  return value;
}

/** An integer flag ≥ min, or undefined when absent. */
export function integerOption(name: string, text: string | undefined, min: number): number | undefined {
  const value = numberOption(name, text);
  if (value !== undefined && (!Number.isInteger(value) || value < min)) throw new ValidationError(`--${name} must be an integer ≥ ${min}, got "${text}"`);
  return value;
}

/** A duration flag ("10s", "500ms", "2m") in whole milliseconds, or undefined when absent. */
export function durationMsOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseDurationS(text);
  if (seconds < 0) throw new ValidationError(`--${name} must not be negative, got "${text}"`);
  return Math.round(seconds * 1000);
}
