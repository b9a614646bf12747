/**
 * A hand-written check of the common shapes of a POST /api/devices/:id/windows body (one window, or `{windows: […]}`),
 * in front of the zod schemas of schemas.ts, which cost more per window than the JSON parse (~6 µs against ~3 µs):
 * it accepts only what `windowSchema` / `windowBatchSchema` accept, and returns the same values; anything else
 * (an unknown key, a wrong type, a value out of range, a missing field) returns null and the caller runs zod, whose
 * issues name the offending field. test/http/window-check.test.ts compares both over every field and bound.
 */
import type { z } from 'zod';
import { MAX_WINDOW_DURATION_S } from '../domain/limits.js';
import { MAX_POWER_W } from '../model/limits.js';
import { MAX_WINDOWS_PER_REQUEST } from './limits.js';
import type { windowBatchSchema, windowSchema } from './schemas.js';

export type WindowInput = z.output<typeof windowSchema>;
export type WindowBatchInput = z.output<typeof windowBatchSchema>;

/** The keys of `windowSchema` (strict: no other key is accepted). */
const WINDOW_KEYS: ReadonlySet<string> = new Set(['seq', 'startMs', 'durationS', 'energyJ', 'sampleCount', 'minPowerW', 'maxPowerW', 'inferenceCount']);

/** `z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)`. */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** `finite().min(0).max(MAX_POWER_W).nullable().optional()`. */
function isOptionalPower(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_POWER_W);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as `windowSchema` parses it when it is a window zod accepts; null otherwise (zod then says why). */
export function checkWindow(value: unknown): WindowInput | null {
  if (!isPlainObject(value)) return null;
  for (const key in value) if (!WINDOW_KEYS.has(key)) return null;
  const { seq, startMs, durationS, energyJ, sampleCount, minPowerW, maxPowerW, inferenceCount } = value;
  if (!isCount(seq) || !isCount(startMs)) return null;
  if (typeof durationS !== 'number' || !Number.isFinite(durationS) || !(durationS > 0) || durationS > MAX_WINDOW_DURATION_S) return null;
  if (typeof energyJ !== 'number' || !Number.isFinite(energyJ) || !(energyJ >= 0)) return null;
  if ((sampleCount !== undefined && !isCount(sampleCount)) || (inferenceCount !== undefined && !isCount(inferenceCount))) return null;
  if (!isOptionalPower(minPowerW) || !isOptionalPower(maxPowerW)) return null;
  // Every key is known and every value is one zod returns unchanged: the object is its own parse.
  return value as WindowInput;
}

/** `value` as `windowBatchSchema` parses it when zod accepts it; null otherwise. */
export function checkWindowBatch(value: unknown): WindowBatchInput | null {
  if (!isPlainObject(value)) return null;
  for (const key in value) if (key !== 'windows') return null;
  const windows = value['windows'];
  if (!Array.isArray(windows) || windows.length === 0 || windows.length > MAX_WINDOWS_PER_REQUEST) return null;
  for (const window of windows) if (checkWindow(window) === null) return null;
  return value as WindowBatchInput;
}
